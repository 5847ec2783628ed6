"""Writing the demo Bundles and their LISEZMOI.txt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gis.demo.resources import BASE_URL, DEMO_DATE, DEMO_LABEL, DEMO_SOURCE
from gis.importers.fhir.mapping import FICTIF_SYSTEM

_OWN_MARK = b'"id":"ror-gis-demo-'

_README = """DONNÉES FICTIVES DE DÉMONSTRATION — ror-gis
============================================

Les fichiers de ce dossier sont des Bundles FHIR (ROR, modèle d'exposition 3.0) INVENTÉS pour
montrer la carte ror-gis. Ils ne décrivent AUCUNE offre réelle :

- chaque nom d'offre, de lieu et d'établissement inventé se termine par « (fictif) » ;
- chaque ressource porte meta.tag « {label} » et meta.source « {source} » ;
- les établissements inventés (SAD, SSIAD, DAC…) n'ont pas de numéro FINESS : leur identifiant est
  dans le système {fictif} ;
- les offres rattachées à des établissements réels (EHPAD, SESSAD, SAVS, SAMSAH, hôpitaux) sont
  inventées : ni ces unités, ni leurs zones d'intervention, ni leurs contacts n'existent ;
- les numéros de téléphone sont dans la plage 01 99 00 xx xx réservée à la fiction.

Ne pas diffuser ces données comme des informations sur l'offre de soins. Chargement :
load_fhir(conn, [dossier], source="demo", fictif=True) — les offres sont alors marquées fictif.

Graine : {seed}. Fichiers : {files}.
"""


def remove_old_bundles(out_dir: Path) -> None:
    """Create ``out_dir`` if needed and remove the demo Bundles (id ``ror-gis-demo-…``) an earlier generation wrote.

    Only files this module wrote are removed, so a folder holding other JSON files is safe.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.json"):
        with old.open("rb") as f:
            if _OWN_MARK in f.read(300):
                old.unlink()


def write_bundle(out_dir: Path, name: str, resources: list[dict[str, Any]]) -> Path:
    """Write one collection Bundle ``<name>.json`` of ``resources`` (compact JSON, one entry per line)."""
    bundle = {
        "resourceType": "Bundle",
        "id": f"ror-gis-demo-{name}",
        "meta": {"lastUpdated": DEMO_DATE, "source": DEMO_SOURCE,
                 "tag": [{"system": FICTIF_SYSTEM, "code": "demo", "display": DEMO_LABEL}]},
        "type": "collection",
    }
    path = out_dir / f"{name}.json"
    # Compact JSON, one Bundle entry per line: small files that still diff line by line.
    entries = [
        json.dumps({"fullUrl": f"{BASE_URL}{r['resourceType']}/{r['id']}", "resource": r}, ensure_ascii=False,
                   separators=(",", ":"))
        for r in resources
    ]
    head = json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))[:-1]
    path.write_text(head + ',"entry":[\n' + ",\n".join(entries) + "\n]}\n", encoding="utf-8")
    return path


def write_bundles(out_dir: Path, bundles: dict[str, list[dict[str, Any]]]) -> list[Path]:
    """One collection Bundle file per theme; demo Bundles of an earlier generation are removed first.

    Parameters
    ----------
    out_dir
        Output folder (created if needed). Only files this module wrote (Bundle id
        ``ror-gis-demo-…``) are removed, so a folder holding other JSON files is safe.
    bundles
        Theme name → resources.

    Returns
    -------
    list of Path
        The files written, sorted.
    """
    out_dir = Path(out_dir)
    remove_old_bundles(out_dir)
    return [write_bundle(out_dir, name, bundles[name]) for name in sorted(bundles)]


def write_readme(out_dir: Path, seed: int, files: list[str]) -> Path:
    """Write LISEZMOI.txt (what these files are, that they are fictitious) into ``out_dir``."""
    path = Path(out_dir) / "LISEZMOI.txt"
    path.write_text(
        _README.format(label=DEMO_LABEL, source=DEMO_SOURCE, fictif=FICTIF_SYSTEM, seed=seed, files=", ".join(files)),
        encoding="utf-8",
    )
    return path
