"""ROR capacities (``ror-location-supported-capacity``): the lines of the IG example RORLocationExemple1.fsh are read
into lieu / offre, the installed and available capacity derived with their dates, written back identically by the
FHIR output, and the ROR wins over the CNSA figure field by field."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gis.capacity import read_lines, summary, to_extensions
from gis.db import connect
from gis.fhir_out import rows as fhir_rows
from gis.fhir_out.resources import location as location_resource
from gis.importers.fhir import load_fhir
from gis.importers.geography import load_geography
from gis.importers.nomenclatures import load_nomenclatures

SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
FINESS = "http://finess.esante.gouv.fr"


def _fsh_capacities(data_dir: Path) -> list[dict[str, Any]]:
    """The ``ror-location-supported-capacity`` extensions of the FSH example, turned into FHIR JSON here."""
    text = (data_dir / "ror-fhir" / "examples" / "RORLocationExemple1.fsh").read_text(encoding="utf-8")
    aliases = dict(re.findall(r"^Alias: (\$\S+) = (\S+)$", text, re.MULTILINE))
    out: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    sub: dict[str, Any] | None = None
    for line in text.splitlines():
        if re.match(r"^\* extension\[", line):
            current = sub = None
        elif m := re.match(r'^  \* url = "https://\S+/ror-location-supported-capacity"', line):
            current = {"url": SD + "ror-location-supported-capacity", "extension": []}
            out.append(current)
        elif current is not None and (m := re.match(r'^    \* url = "(\w+)"', line)):
            sub = {"url": m.group(1)}
            current["extension"].append(sub)
        elif sub is not None and (m := re.match(r"^    \* valueInteger = (\d+)", line)):
            sub["valueInteger"] = int(m.group(1))
        elif sub is not None and (m := re.match(r'^    \* valueDateTime = "(.+)"', line)):
            sub["valueDateTime"] = m.group(1)
        elif sub is not None and (m := re.match(r'^    \* valueCodeableConcept = (\$\S+)#(\w+) "(.*)"', line)):
            sub["valueCodeableConcept"] = {"coding": [{"system": aliases[m.group(1)], "code": m.group(2),
                                                       "display": m.group(3)}]}
    return out


def _bundle(data_dir: Path, *, with_capacity: bool = True) -> dict[str, Any]:
    loc = {"resourceType": "Location", "id": "loc-capa", "meta": {"lastUpdated": "2024-12-05T01:42:39Z"},
           "extension": [{"url": SD + "ror-commune-cog", "valueCodeableConcept": {"coding": [{"code": "93066"}]}},
                         *(_fsh_capacities(data_dir) if with_capacity else [])],
           "name": "UNITE DE TEST", "position": {"latitude": 48.936, "longitude": 2.357}}
    org = {"resourceType": "Organization", "id": "eg-capa", "name": "EHPAD DE TEST",
           "identifier": [{"system": FINESS, "value": "930099901"}],
           "type": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/"
                                           "TRE-R66-CategorieEtablissement", "code": "500"}]}]}
    hs = {"resourceType": "HealthcareService", "id": "hs-capa", "identifier": [{"value": "11/9999"}],
          "name": "Hébergement de test", "providedBy": {"reference": "Organization/eg-capa"},
          "location": [{"reference": "Location/loc-capa"}],
          "category": [{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_R244-CategorieOrganisation/FHIR/"
                                              "TRE-R244-CategorieOrganisation", "code": "21"}]}]}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in (org, loc, hs)]}


def test_pure_reading_of_the_ig_example(data_dir):
    exts = _fsh_capacities(data_dir)
    assert len(exts) == 5
    lines = read_lines({"extension": exts})
    assert [ln["nombre"] for ln in lines] == [15, 0, 0, 0, 3]
    assert [ln["statut"] for ln in lines] == ["01", "06", "02", "02", "02"]
    assert lines[1]["type_crise"] == "02" and lines[1]["type_supplementaire"] == "03"
    s = summary(lines)
    moment = datetime(2024, 7, 8, 18, 15, 39, tzinfo=UTC)
    assert s == {"capacite": 15, "capacite_type": "lit", "capacite_maj": moment, "capacite_disponible": 3,
                 "capacite_disponible_maj": moment}
    # written back: the same lines (displays are not kept, codes and systems are)
    assert read_lines({"extension": to_extensions(lines)}) == lines
    for got, want in zip(to_extensions(lines), exts, strict=True):
        assert {s["url"] for s in got["extension"]} == {s["url"] for s in want["extension"]}


@pytest.fixture(scope="module")
def loaded_url(empty_db_factory, fetcher, data_dir, tmp_path_factory) -> str:
    url = empty_db_factory()
    path = tmp_path_factory.mktemp("capa") / "bundle.json"
    path.write_text(json.dumps(_bundle(data_dir)), encoding="utf-8")
    with connect(url) as conn:
        load_geography(conn, fetcher, region="11")
        load_nomenclatures(conn, data_dir)
        report = load_fhir(conn, [path])
    assert report.counts["lignes_capacite"] == 5 and report.counts["offres_avec_capacite"] == 1
    return url


@pytest.fixture
def db(loaded_url) -> Iterator[psycopg.Connection]:
    with connect(loaded_url) as c, c.transaction(force_rollback=True):
        yield c


def test_import_derives_installed_and_available(db):
    row = db.execute("SELECT capacites, capacite, capacite_type, capacite_maj, capacite_disponible, "
                     "capacite_disponible_maj, disponibilite_fictive, provenance FROM offre "
                     "WHERE ror_id = 'hs-capa'").fetchone()
    moment = datetime(2024, 7, 8, 18, 15, 39, tzinfo=UTC)
    assert len(row["capacites"]) == 5
    assert (row["capacite"], row["capacite_type"], row["capacite_maj"]) == (15, "lit", moment)
    assert (row["capacite_disponible"], row["capacite_disponible_maj"]) == (3, moment)
    assert row["disponibilite_fictive"] is False
    assert row["provenance"]["capacite"] == {"source": "ROR", "millesime": "2024-07-08"}
    assert row["provenance"]["capacite_disponible"] == {"source": "ROR", "millesime": "2024-07-08"}


def test_fhir_output_writes_the_lines_back(db, data_dir):
    (loc,) = fhir_rows.locations(db, ror_id="loc-capa")
    res = location_resource(loc)
    written = [e for e in res["extension"] if e["url"].endswith("ror-location-supported-capacity")]
    assert read_lines(res) == read_lines({"extension": _fsh_capacities(data_dir)})
    assert len(written) == 5


def test_ror_figure_wins_over_cnsa_and_cnsa_stays_when_ror_gives_none(loaded_url, data_dir, tmp_path):
    with connect(loaded_url) as conn:
        # a CNSA figure on the offer: the ROR lines replace it on the next import
        conn.execute("UPDATE offre SET capacite = 80, capacite_type = 'place', provenance = provenance || "
                     "'{\"capacite\": {\"source\": \"Annuaire CNSA\", \"millesime\": \"≈ 2021\"}}' "
                     "WHERE ror_id = 'hs-capa'")
        conn.commit()
        path = tmp_path / "b.json"
        path.write_text(json.dumps(_bundle(data_dir)), encoding="utf-8")
        load_fhir(conn, [path])
        row = conn.execute("SELECT capacite, provenance FROM offre WHERE ror_id = 'hs-capa'").fetchone()
        assert row["capacite"] == 15 and row["provenance"]["capacite"]["source"] == "ROR"
        # the ROR drops its lines: its own figures go, a CNSA figure would stay
        path.write_text(json.dumps(_bundle(data_dir, with_capacity=False)), encoding="utf-8")
        load_fhir(conn, [path])
        row = conn.execute("SELECT capacite, capacite_disponible, provenance FROM offre "
                           "WHERE ror_id = 'hs-capa'").fetchone()
        assert (row["capacite"], row["capacite_disponible"]) == (None, None)
        assert "capacite" not in row["provenance"] and "capacite_disponible" not in row["provenance"]
        conn.execute("UPDATE offre SET capacite = 80, provenance = provenance || "
                     "'{\"capacite\": {\"source\": \"Annuaire CNSA\", \"millesime\": \"≈ 2021\"}}' "
                     "WHERE ror_id = 'hs-capa'")
        conn.commit()
        load_fhir(conn, [path])
        assert conn.execute("SELECT capacite FROM offre WHERE ror_id = 'hs-capa'").fetchone()["capacite"] == 80
        # restore the module's state
        path.write_text(json.dumps(_bundle(data_dir)), encoding="utf-8")
        load_fhir(conn, [path])


def test_derived_location_lines_and_provenance_are_read_back():
    """The lines and provenance of a Location derived from an offer (gis.capacity) give the offer's figures back."""
    from gis.capacity import (
        DERIVED_LOCATION_SYSTEM,
        derived_offer,
        offer_lines,
        provenance_extensions,
        read_provenance,
    )

    when = datetime(2026, 5, 31, 22, 40, tzinfo=UTC)
    offer = {"capacite": 84, "capacite_type": "place", "capacite_maj": None, "capacite_disponible": 2,
             "capacite_disponible_maj": when}
    prov = {"offre": {"source": "Annuaire CNSA"}, "capacite": {"source": "Annuaire CNSA", "millesime": "≈ 2021"},
            "capacite_disponible": {"source": "Données fictives de démonstration", "millesime": "fictif"}}
    loc = {"resourceType": "Location", "identifier": [{"system": DERIVED_LOCATION_SYSTEM, "value": "cnsa-1"}],
           "extension": to_extensions(offer_lines(offer)) + provenance_extensions(prov, fictive=True)}
    assert derived_offer(loc) == "cnsa-1" and derived_offer({"identifier": [{"value": "x"}]}) is None
    assert summary(read_lines(json.loads(json.dumps(loc)))) == {**offer, "capacite_disponible_maj": when}
    assert read_provenance(loc) == ({k: v for k, v in prov.items() if k != "offre"}, True)
    assert offer_lines({"capacite": None, "capacite_disponible": None}) == []
