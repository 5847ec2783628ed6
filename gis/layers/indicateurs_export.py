"""The CSV/XLSX export of an indicator: French column headers, cells, and the "Sources" text."""

from __future__ import annotations

from typing import Any

from gis.layers.indicateurs import Indicator

# Export columns (French headers) of each indicator: (header, property).
_COLUMNS_RATE = [("Code", "code"), ("Nom", "nom"), ("Niveau", "niveau"), ("Département", "departement"),
                 ("Population municipale", "population"), ("Places", "places"),
                 ("Places pour 1 000 habitants", "taux_pour_1000"), ("Structures comptées", "structures"),
                 ("dont sans capacité connue", "sans_capacite"), ("Places fictives (démonstration)", "places_fictives")]
_COLUMNS_ACCESS = [("Code INSEE", "code"), ("Commune", "nom"), ("Département", "departement"),
                   ("Population municipale", "population"), ("Places dans la commune", "places"),
                   ("Places pour 1 000 habitants (commune)", "taux_pour_1000"),
                   ("Accessibilité 2SFCA (places pour 1 000 habitants)", "accessibilite_pour_1000"),
                   ("Structures comptées", "structures"), ("dont sans capacité connue", "sans_capacite"),
                   ("Places fictives (démonstration)", "places_fictives")]


def table(result: Indicator) -> tuple[list[str], list[list[Any]]]:
    """Return the headers and cells of the CSV/XLSX export of an indicator (one row per area)."""
    columns = _COLUMNS_ACCESS if result.meta["indicateur"] == "accessibilite" else _COLUMNS_RATE
    cells = [[f["properties"].get(key) for _h, key in columns] for f in result.features]
    return [h for h, _k in columns], cells


def source_text(result: Indicator) -> str:
    """Return the "Sources" text of an export: what is counted, population, method, data version."""
    meta = result.meta
    parts = [f"Indicateur : {meta['indicateur']} ({meta['unite']}), niveau {meta['niveau_libelle']}",
             f"Sélection : {meta['selection']['par']} {', '.join(meta['selection']['codes'])} "
             f"({' ; '.join(meta['selection']['libelles'])})",
             f"Places : {meta['places_comptees']}",
             f"Capacités : {', '.join(meta['sources_capacites']) or 'source non renseignée'}",
             f"Population : {meta['population']}"]
    if "methode" in meta:
        m = meta["methode"]
        parts.append(f"Méthode : {m['nom']}, {m['distance']}, rayon {m['rayon_km']:g} km, "
                     f"décroissance {m['decroissance_libelle']}")
    parts.append(f"Données : version {meta['donnees']['version']} du {meta['donnees']['mise_a_jour']}")
    return ". ".join(parts) + "."
