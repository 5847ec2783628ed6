"""Declarative description of the real establishment sources, and the generic row reader.

One :class:`SourceSpec` per source (file, format, encoding, vintage, column → field mapping,
category rule, IDF filter); :func:`read_rows` reads any of them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gis.errors import InvalidInput

IDF_DEPARTEMENTS = frozenset({"75", "77", "78", "91", "92", "93", "94", "95"})
#: How the CNSA annuaire is named in the provenance of the fields and offers it gives.
CNSA_SOURCE = "Annuaire CNSA"
CNSA_MILLESIME = "≈ 2021"


@dataclass(frozen=True)
class CategoryRule:
    """How a source gives the TRE_R66 category.

    ``column`` (a code column), ``constant``, ``flags`` (first true flag column of ``flags``),
    ``label`` (FINESS label matched against the ``categorie_eg`` nomenclature with
    ``gis.text.normalize``).
    """

    kind: str
    column: str | None = None
    code: str | None = None
    flags: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class SourceSpec:
    """One source file: where it is, how to read it, how its columns map to fields."""

    name: str                    # stored in etablissement.source / provenance
    label: str                   # French, for reports
    path: str                    # relative to the data folder
    format: str                  # 'csv' or 'geojson'
    vintage: date
    columns: Mapping[str, str]   # source column → field
    category: CategoryRule
    delimiter: str = ","
    encoding: str = "utf-8"
    idf_column: str | None = None  # keep rows whose value (first 2 chars) is an IDF département
    skip_empty_finess: bool = False  # summary lines without FINESS are skipped, not rejected
    #: (source, millésime) written in ``etablissement.provenance_champs`` for the descriptive fields the
    #: source gives (capacite, statut_juridique, prix_min); None for sources without such fields.
    field_provenance: tuple[str, str] | None = None


_REGION_COMMON = {
    "FINESS_ET": "finess", "FINESS_EJ": "finess_ej", "RAISON_SOCIALE": "nom",
    "RAISON_SOCIALE_ENTITE_JURIDIQUE": "ej_nom", "ADRESSE_COMPLETE": "adresse",
    "ADRESSE_ADMINISTRATIVE_1": "adresse_secours", "CP_VILLE": "cp_ville", "NUM_TEL": "telephone",
    "NUM_CAT": "categorie", "DATE_OUVERTURE": "date_ouverture",
}
_REGION_DATE = date(2013, 5, 15)

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="idf_hopitaux_2013", label="Région IDF 2013 – établissements hospitaliers",
        path="establishments/region-idf-finess-2013/les_etablissements_hospitaliers_franciliens.csv",
        format="csv", delimiter=";", encoding="utf-8-sig", vintage=_REGION_DATE,
        columns={**_REGION_COMMON, "lat": "lat", "lng": "lon"},
        category=CategoryRule("column", column="NUM_CAT"),
    ),
    SourceSpec(
        name="idf_handicap_adultes_2013", label="Région IDF 2013 – adultes handicapés",
        path="establishments/region-idf-finess-2013/etablissements_et_services_pour_adultes_handicapes.csv",
        format="csv", delimiter=";", encoding="utf-8-sig", vintage=_REGION_DATE,
        columns={**_REGION_COMMON, "LAT": "lat", "LNG": "lon"},
        category=CategoryRule("column", column="NUM_CAT"),
    ),
    SourceSpec(
        name="idf_handicap_enfants_2013", label="Région IDF 2013 – enfance et jeunesse handicapées",
        path="establishments/region-idf-finess-2013/"
        "etablissements_et_services_pour_l_enfance_et_la_jeunesse_handicapee.csv",
        format="csv", delimiter=";", encoding="utf-8-sig", vintage=_REGION_DATE,
        columns={**_REGION_COMMON, "LAT": "lat", "LNG": "lon"},
        category=CategoryRule("column", column="NUM_CAT"),
    ),
    SourceSpec(
        name="idf_centres_sante_2013", label="Région IDF 2013 – centres de soins (Paris)",
        path="establishments/region-idf-finess-2013/centres_de_soins_en_ile-de-france.geojson",
        format="geojson", vintage=_REGION_DATE,
        columns={
            "finess_et": "finess", "finess_ej": "finess_ej", "raison_sociale": "nom",
            "raison_sociale_entite_juridique": "ej_nom", "adresse_complete": "adresse",
            "cp_ville": "cp_ville", "num_tel": "telephone", "num_cat": "categorie",
            "date_ouverture": "date_ouverture", "geometry.lat": "lat", "geometry.lon": "lon",
        },
        category=CategoryRule("column", column="num_cat"),
    ),
    SourceSpec(
        name="eurostat_hopitaux", label="Eurostat GISCO – hôpitaux (FINESS 03/2020)",
        path="hopitaux-eurostat/FR.csv", format="csv", vintage=date(2020, 3, 6),
        columns={
            "id": "finess", "hospital_name": "nom", "street": "voie", "house_number": "numero_voie",
            "postcode": "code_postal", "city": "ville", "tel": "telephone", "lat": "lat", "lon": "lon",
        },
        category=CategoryRule("label", column="facility_type"),
        idf_column="postcode",
    ),
    SourceSpec(
        name="cnsa_annuaire_pa", label="CNSA – annuaire des établissements pour personnes âgées",
        path="establishments/cnsa-annuaire-pa/dataset_to_use.csv", format="csv", vintage=date(2021, 1, 1),
        columns={
            "noFinesset": "finess", "title": "nom", "coordinates.street": "adresse",
            "coordinates.postcode": "code_postal", "coordinates.city": "ville",
            "coordinates.phone": "telephone", "coordinates.gestionnaire": "gestionnaire",
            "coordinates.latitude": "lat", "coordinates.longitude": "lon",
            "capacity": "capacite", "legal_status": "statut_juridique", "prixMin": "prix_min",
        },
        # TRE_R66: 500 EHPAD, 362 établissement de soins longue durée, 202 résidence autonomie,
        # 207 centre de jour pour personnes âgées (accueil de jour autonome). EHPA can be 501 or 502
        # (with or without health-insurance funding): not decidable from the annuaire → NULL + warning.
        category=CategoryRule(
            "flags",
            flags=(("IsEHPAD", "500"), ("IsESLD", "362"), ("IsRA", "202"), ("IsAJA", "207"), ("IsEHPA", None)),
        ),
        idf_column="coordinates.deptcode",
        field_provenance=(CNSA_SOURCE, CNSA_MILLESIME),
    ),
    SourceSpec(
        name="ime_idf_2021", label="IME d'Île-de-France (export FINESS 2021)",
        path="establishments/ime-idf/ime-idf-geocod-tri.csv", format="csv", vintage=date(2021, 12, 31),
        columns={
            "Numéro_FINESS": "finess", "FINESS_Orga": "finess_ej", "RS_Orga": "ej_nom",
            "Raison_Sociale": "nom", "latitude": "lat", "longitude": "lon",
        },
        category=CategoryRule("constant", code="183"),
        skip_empty_finess=True,
    ),
)


def read_rows(spec: SourceSpec, data_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Return (reference, raw row) of every row of a source file.

    Parameters
    ----------
    spec
        The source description.
    data_dir
        The data directory ``spec.path`` is relative to.

    Yields
    ------
    tuple
        ``("file.csv:12", row)``; GeoJSON rows get ``geometry.lon`` / ``geometry.lat``.
    """
    path = Path(data_dir) / spec.path
    if not path.is_file():
        raise InvalidInput(f"Fichier source introuvable : {spec.path} (dossier de données).")
    if spec.format == "csv":
        with path.open(encoding=spec.encoding, newline="") as f:
            reader = csv.DictReader(f, delimiter=spec.delimiter)
            missing = [c for c in spec.columns if c not in (reader.fieldnames or [])]
            if missing:
                raise InvalidInput(f"{path.name} : colonnes absentes : {', '.join(missing)}")
            for row in reader:
                yield f"{path.name}:{reader.line_num}", row
    elif spec.format == "geojson":
        with path.open(encoding=spec.encoding) as f:
            doc = json.load(f)
        if doc.get("type") != "FeatureCollection":
            raise InvalidInput(f"{path.name} n'est pas une FeatureCollection GeoJSON.")
        for i, feat in enumerate(doc["features"]):
            row = dict(feat.get("properties") or {})
            geom = feat.get("geometry") or {}
            if geom.get("type") == "Point":
                row["geometry.lon"], row["geometry.lat"] = geom["coordinates"][:2]
            yield f"{path.name}#feature{i}", row
    else:  # pragma: no cover - specs are static
        raise ValueError(spec.format)
