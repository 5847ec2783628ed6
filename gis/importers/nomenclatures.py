"""Load the NOS / ROR code lists (``data/nomenclatures/*.csv``) into the ``nomenclature`` table.

Each list is replaced as a whole (delete then insert, in the import transaction), so a re-run gives
the same state. Codes are kept as strings (leading zeros matter). Columns of a CSV other than
``code``, ``label``, ``system`` and the end-of-validity columns go to ``extra`` (e.g. ``in_jdv_j55_ror``,
``agregat_code`` and ``ror_couloir_bi`` for the établissement categories).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from gis.db import Conn
from gis.errors import InvalidInput
from gis.import_runs import shown_path
from gis.importers.report import ImportReport, run_import
from gis.text import normalize

# List name (nomenclature.name) → file of data_dir/nomenclatures.
NOMENCLATURE_FILES: dict[str, str] = {
    "type_offre": "JDV_J238-TypeOffre-ROR.csv",
    "categorie_organisation": "TRE_R244-CategorieOrganisation.csv",
    "activite": "JDV_J17-ActiviteOperationnelle-ROR.csv",
    "famille_activite": "JDV_J51-FamilleActiviteOperationnelle-ROR.csv",
    "champ": "TRE_R227-ChampActivite.csv",
    "mode_prise_en_charge": "TRE_R213-ModePriseEnCharge.csv",
    "public": "JDV_J29-PublicPrisEnCharge-ROR.csv",
    "classe_age": "JDV_J15-ClasseAge-ROR.csv",
    "categorie_eg": "TRE_R66-CategorieEtablissement.csv",
    "agregat_categorie": "TRE_R65-AgregatCategorieEtablissement.csv",
    "modalite_accueil": "JDV_J226-ModaliteAccueil-ROR.csv",
    "temporalite_accueil": "JDV_J30-TemporaliteAccueil-ROR.csv",
    "acte_specifique": "JDV_J16-ActeSpecifique-ROR.csv",
    "specialisation": "TRE_R245-SpecialisationDePriseEnCharge.csv",
    "competence": "TRE_R243-CompetenceSpecifique.csv",
    "profession": "JDV_J186-ProfessionRessource-ROR.csv",
    "confidentialite": "JDV_J222-NiveauConfidentialite-ROR.csv",
    "type_division": "TRE_R201-TypeDivisionTerritoriale.csv",
    "type_oi": "TRE_R207-TypeOrganisationInterne.csv",
}

# Lists whose key is (system, code): the stored code is "<system>|<code>".
SYSTEM_QUALIFIED = {"profession"}

_BASE_COLUMNS = {"code", "label", "system", "date_fin", "status"}


def _rows(name: str, path: Path, report: ImportReport) -> list[tuple[Any, ...]]:
    """Rows (name, code, label, system, deprecated, extra, label_norm) of one CSV file."""
    if not path.is_file():
        raise InvalidInput(f"Fichier de nomenclature introuvable : {shown_path(path)}")
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"code", "label"} <= set(reader.fieldnames):
            raise InvalidInput(f"{path.name} : colonnes « code » et « label » attendues.")
        # TRE files have no `system` column: the file stem is the code system.
        default_system = path.stem if path.stem.startswith("TRE_") else None
        out: dict[str, tuple[Any, ...]] = {}
        for lineno, row in enumerate(reader, 2):
            ref = f"{path.name}:{lineno}"
            code = (row.get("code") or "").strip()
            label = (row.get("label") or "").strip()
            if not code or not label:
                report.reject(ref, "code ou libellé vide")
                continue
            system = (row.get("system") or "").strip() or default_system
            if name in SYSTEM_QUALIFIED:
                if not system:
                    report.reject(ref, f"système de codage absent pour le code {code}")
                    continue
                code = f"{system}|{code}"
            if code in out:
                report.reject(ref, f"code {code} en double dans la liste {name}")
                continue
            deprecated = bool((row.get("date_fin") or "").strip()) or (row.get("status") or "") == "deprecated"
            extra = {k: v for k, v in row.items() if k and k not in _BASE_COLUMNS and v not in (None, "")}
            if row.get("date_fin"):
                extra["date_fin"] = row["date_fin"]
            out[code] = (name, code, label, system, deprecated, json.dumps(extra), normalize(label))
    return list(out.values())


def load_nomenclatures(conn: Conn, data_dir: Path) -> ImportReport:
    """Replace every list of ``NOMENCLATURE_FILES`` from ``data_dir/nomenclatures``, in one transaction."""
    folder = Path(data_dir) / "nomenclatures"

    def load_lists(report: ImportReport) -> None:
        for name, file_name in NOMENCLATURE_FILES.items():
            rows = _rows(name, folder / file_name, report)
            conn.execute("DELETE FROM nomenclature WHERE name = %s", (name,))
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO nomenclature (name, code, label, system, deprecated, extra, label_norm) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )
            report.counts[name] = len(rows)
            report.counts["codes"] += len(rows)
        report.counts["listes"] = len(NOMENCLATURE_FILES)

    return run_import(conn, "nomenclatures", shown_path(folder), load_lists, tables=("nomenclature",))


def labels(conn: Conn, name: str) -> dict[str, str]:
    """Code → label of one list (empty when the list is not loaded)."""
    return {
        r["code"]: r["label"]
        for r in conn.execute("SELECT code, label FROM nomenclature WHERE name = %s ORDER BY code", (name,))
    }
