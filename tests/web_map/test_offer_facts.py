"""The offer page's French facts (issue #10): opening hours, home visits, last update, place, drawn territory,
and cities with arrondissements covered only in part (never « Paris » whole when only some arrondissements are)."""

from __future__ import annotations

import html as htmllib
import re

from web_map import offer_facts


def test_hours_grouped_by_identical_slots():
    hours = [{"jour": d, "debut": "09:00", "fin": "17:30", "toute_la_journee": False} for d in range(1, 6)]
    hours += [{"jour": 6, "debut": "09:00", "fin": "12:00", "toute_la_journee": False},
              {"jour": 7, "debut": None, "fin": None, "toute_la_journee": True}]
    assert offer_facts.hours_text(hours) == ("du lundi au vendredi : 9 h 00 – 17 h 30 ; samedi : 9 h 00 – 12 h 00 ; "
                                             "dimanche : 24 h sur 24")
    assert offer_facts.hours_text([]) is None
    two_days = [{"jour": 1, "debut": "08:00", "fin": "12:00"}, {"jour": 3, "debut": "08:00", "fin": "12:00"}]
    assert offer_facts.hours_text(two_days) == "lundi, mercredi : 8 h 00 – 12 h 00"


def test_home_visits_date_and_place():
    assert offer_facts.home_visits_text({"modalites_accueil": [{"code": "05"}]}, "autre").startswith("Oui")
    assert offer_facts.home_visits_text({}, "domicile").startswith("Oui")
    assert offer_facts.home_visits_text({}, "sanitaire") == "Non déclarées dans le ROR"
    assert offer_facts.date_text("2026-11-01T08:00:00+00:00") == "1er novembre 2026"
    assert offer_facts.place_text({"nom": "Antenne Nord", "adresse": "3 rue X 93200 Saint-Denis"}) == \
        "Antenne Nord – 3 rue X 93200 Saint-Denis"


def _arr(n: int, partielle: bool = False) -> dict:
    return {"insee": f"751{n:02d}", "nom": f"Paris {n}e", "type": "arrondissement-municipal", "motif": "polygone",
            "partielle": partielle}


def test_paris_in_part_names_its_arrondissements():
    covered = [{"insee": "75056", "nom": "Paris", "type": "commune", "motif": "polygone", "partielle": False},
               *[_arr(n) for n in (1, 2, 3, 4, 5, 6)], _arr(7, partielle=True)]
    partial = offer_facts.partial_cities(covered)
    assert list(partial) == ["75056"]
    rows = offer_facts.covered_rows(covered, partial)
    assert rows[0]["nom"] == "Paris (en partie : arrondissements 1er, 2e, 3e, 4e, 5e, 6e, 7e (en partie))"
    assert rows[0]["partielle"] is True
    whole = [{"insee": "75056", "nom": "Paris", "type": "commune", "motif": "commune", "partielle": False},
             *[_arr(n) for n in range(1, 21)]]
    assert offer_facts.partial_cities(whole) == {}


def test_offer_page_of_a_polygon_describes_it(fixture_http):
    html = fixture_http.get("/cartes/offre/cov-polygone?fond=aucun").text
    text = re.sub(r"\s+", " ", htmllib.unescape(html))
    assert "Zone d'intervention dessinée (polygone), couvrant" in text
    assert "Aucune zone déclarée" not in text
    for label in ("Horaires", "Visites à domicile", "Dernière mise à jour"):
        assert f">{label}<" in html


def test_offer_page_never_says_paris_whole_for_one_arrondissement(fixture_http):
    html = fixture_http.get("/cartes/offre/cov-arr?fond=aucun").text
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    paris = [r for r in rows if "75056" in r]
    assert paris and all("en partie : arrondissements 10e" in r for r in paris)


def test_ages_text():
    assert offer_facts.ages_text(60, None) == "60 ans et plus"
    assert offer_facts.ages_text(60, 120) == "60 ans et plus"
    assert offer_facts.ages_text(0, 17) == "jusqu'à 17 ans"
    assert offer_facts.ages_text(18, 59) == "de 18 à 59 ans"
    assert offer_facts.ages_text(None, None) is None
    assert offer_facts.ages_text(0, 120) == "tous âges"


def test_not_given_names_the_real_source():
    cnsa = {"fictif": False, "provenance": {"offre": {"source": "Annuaire CNSA", "millesime": "≈ 2021"}}}
    assert offer_facts.home_visits_text(cnsa, "personnes-agees") == "Non déclarées dans la source (Annuaire CNSA)"
    assert offer_facts.source_name({"fictif": True, "provenance": {"offre": {"source": "demo"}}}) == "le ROR"
