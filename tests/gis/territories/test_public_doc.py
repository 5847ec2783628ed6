"""The precomputed public form of the offers (offre.doc_public) is never stale: a change clears it (triggers), the
answer is then built on the fly, and the next coverage refresh stores it again."""

from __future__ import annotations

import json

from gis.db import connect
from gis.layers import offres
from gis.territories import coverage


def _doc_state(conn, ror_id):
    return conn.execute("SELECT doc_public IS NOT NULL AS stored FROM offre WHERE ror_id = %s", (ror_id,)).fetchone()


def test_docs_follow_offer_eg_and_nomenclature_changes(fixture_db_url):
    with connect(fixture_db_url) as conn, conn.transaction(force_rollback=True):
        coverage.refresh(conn)
        answer = json.loads(offres.covering_json(conn, "93066"))
        offer = next(r for r in answer["results"] if r["etablissement"])
        ror_id, finess = offer["id"], offer["etablissement"]["finess"]
        assert _doc_state(conn, ror_id)["stored"]

        conn.execute("UPDATE offre SET nom = 'Nom changé' WHERE ror_id = %s", (ror_id,))
        assert not _doc_state(conn, ror_id)["stored"]
        names = {r["id"]: r["nom"] for r in offres.covering(conn, "93066")["results"]}
        assert names[ror_id] == "Nom changé"  # built on the fly meanwhile

        coverage.refresh(conn)
        assert _doc_state(conn, ror_id)["stored"]
        conn.execute("UPDATE etablissement SET nom = 'EG renommé' WHERE finess = %s", (finess,))
        assert not _doc_state(conn, ror_id)["stored"]
        egs = {r["id"]: r["etablissement"]["nom"] for r in offres.covering(conn, "93066")["results"]
               if r["etablissement"]}
        assert egs[ror_id] == "EG renommé"

        coverage.refresh(conn)
        code = offer["type_offre"]["code"]
        conn.execute("UPDATE nomenclature SET label = 'Libellé changé' WHERE name = 'type_offre' AND code = %s",
                     (code,))
        assert conn.execute("SELECT count(*) AS n FROM offre WHERE doc_public IS NOT NULL").fetchone()["n"] == 0
        labels = {r["id"]: r["type_offre"]["label"] for r in offres.covering(conn, "93066")["results"]}
        assert labels[ror_id] == "Libellé changé"

        coverage.refresh(conn)
        stored = json.loads(offres.covering_json(conn, "93066"))
        assert {r["id"]: r["type_offre"]["label"] for r in stored["results"]}[ror_id] == "Libellé changé"
        assert stored == json.loads(offres.covering_json(conn, "93066"))


def test_after_an_import_every_offer_has_its_document(fixture_db_url):
    """An importer that refreshed its own coverage (FHIR) is followed by the naming of new offers, an update that
    clears their documents: the end of every load fills them again, so that answers never build them on the fly."""
    from gis.maintenance import after_load

    with connect(fixture_db_url) as conn, conn.transaction(force_rollback=True):
        conn.execute("UPDATE offre SET nom_norm = NULL")  # as after an import: names to compute, documents cleared
        after_load(conn, coverage_done=True)
        missing = conn.execute("SELECT count(*) AS n FROM offre WHERE doc_public IS NULL").fetchone()["n"]
        assert missing == 0
