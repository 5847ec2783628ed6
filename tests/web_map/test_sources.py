"""The « Sources » line and the fictitious notice follow the offers shown: real offers are never called fictitious."""

from __future__ import annotations

from web_map.sources import fictitious_notice, offer_sources

CNSA = {"fictif": False, "provenance": {"offre": {"source": "Annuaire CNSA", "millesime": "≈ 2021"}}}
DEMO = {"fictif": True, "provenance": {"offre": {"source": "demo (données fictives)", "millesime": "2026-01-15"}}}
ROR = {"fictif": False, "provenance": None}


def test_real_offers_only():
    assert offer_sources([CNSA, CNSA]) == ("Sources : Annuaire CNSA (≈ 2021), FINESS, IGN Admin Express 2018, "
                                           "INSEE COG 2026")
    assert "fictive" not in offer_sources([CNSA, ROR]) and "ROR Île-de-France" in offer_sources([ROR])
    assert fictitious_notice([CNSA, ROR]) is None


def test_mixed_and_demo_offers():
    line = offer_sources([DEMO, CNSA])
    assert line.startswith("Sources : Annuaire CNSA (≈ 2021), ROR Île-de-France (offres fictives de démonstration)")
    assert fictitious_notice([DEMO, CNSA, CNSA]).startswith("1 des 3 offres affichées est fictive")
    assert fictitious_notice([DEMO, DEMO, CNSA]).startswith("2 des 3 offres affichées sont fictives")
    assert fictitious_notice([DEMO]) == "Les offres affichées sont des données fictives de démonstration."
    assert offer_sources([]) == "Sources : ROR Île-de-France, FINESS, IGN Admin Express 2018, INSEE COG 2026"
