"""Equipment rates: places, population and places per 1,000 inhabitants per area.

**Rates** (:func:`taux_equipement`): per commune, EPCI (the établissements publics territoriaux inside the Métropole
du Grand Paris, Paris as one territory), département or région: places, population, places per 1,000 inhabitants.

What is counted and the population: :mod:`gis.layers.indicateurs`.
"""

from __future__ import annotations

from psycopg import sql

from gis.db import Conn
from gis.errors import InvalidInput
from gis.layers import indicateurs as ind

# Per niveau: area code and name (grouping over the units ``u``), and the display geometry of area ``r.id``
# (EPCI: union of its communes in Lambert-93, simplified 60 m like the communes).
_AREAS: dict[str, tuple[str, str, str]] = {
    "commune": ("u.insee", "min(u.nom)",
                "(SELECT ST_AsGeoJSON(g.geom_simple, 5)::json FROM geo_commune g WHERE g.insee = r.id)"),
    "departement": ("u.departement", "(SELECT d.nom FROM geo_departement d WHERE d.code = u.departement)",
                    "(SELECT ST_AsGeoJSON(d.geom_simple, 5)::json FROM geo_departement d WHERE d.code = r.id)"),
    "region": ("u.region", "(SELECT g.nom FROM geo_region g WHERE g.code = u.region)",
               "(SELECT ST_AsGeoJSON(g.geom_simple, 5)::json FROM geo_region g WHERE g.code = r.id)"),
    "epci": ("u.epci", "min(u.epci_nom)",
             "(SELECT ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(ST_Union(g.geom_l93), 60), 4326), 5)::json"
             " FROM unit m JOIN geo_commune g ON g.insee = m.insee WHERE m.epci = r.id)"),
}

_RATE_ROWS = """
    SELECT {code} AS id, {nom} AS nom, min(u.departement) AS departement,
           coalesce(sum(u.population), 0) AS population, coalesce(sum(k.places), 0) AS places,
           coalesce(sum(k.structures), 0) AS structures, coalesce(sum(k.sans_capacite), 0) AS sans_capacite,
           coalesce(sum(k.places_fictives), 0) AS places_fictives
      FROM unit u LEFT JOIN per_unit k ON k.insee = u.insee
     GROUP BY {code}"""

_RATE_PROPERTIES = """
    SELECT r.id, json_build_object(
               'code', r.id, 'nom', r.nom, 'niveau', %(niveau)s::text,
               'departement', CASE WHEN %(niveau)s::text = 'commune' THEN r.departement END,
               'population', r.population, 'places', r.places,
               'taux_pour_1000', CASE WHEN r.population > 0
                                      THEN round(r.places * 1000.0 / r.population, 2) END,
               'structures', r.structures, 'sans_capacite', r.sans_capacite,
               'places_fictives', r.places_fictives) AS properties,
           {geometry} AS geometry, r.population, r.places, r.structures, r.sans_capacite, r.places_fictives
      FROM ({rows}) r"""


def taux_equipement(conn: Conn, sel: ind.Selection, niveau: str = "commune", *, geometry: bool = False,
                    checked: bool = False) -> ind.Indicator:
    """Return places, population and places per 1,000 inhabitants per area.

    Parameters
    ----------
    conn : gis.db.Conn
        Open connection.
    sel : Selection
        Offers of types d'offre (their capacity) or establishments of categories (theirs).
    niveau : str
        ``commune`` (Paris by arrondissement), ``epci``, ``departement`` or ``region``.
    geometry : bool
        Include the display geometry of each area (GeoJSON).
    checked : bool
        The codes were already checked against the nomenclatures.

    Returns
    -------
    Indicator
        Description, summary and one feature per area (all areas, with 0 place where none), ordered by code.

    Raises
    ------
    InvalidInput
        Unknown niveau, malformed or unknown codes.
    """
    if niveau not in _AREAS:
        raise InvalidInput("Niveau inconnu : commune, epci, departement ou region.")
    ind.check(conn, sel, checked=checked)
    code, nom, geom = _AREAS[niveau]
    rows = sql.SQL(_RATE_ROWS).format(code=sql.SQL(code), nom=sql.SQL(nom))
    geometry_sql = sql.SQL(geom if geometry else "NULL::json")
    full = ind.counted_places(sel) + sql.SQL(_RATE_PROPERTIES).format(rows=rows, geometry=geometry_sql)
    summary = ind.summary_sql()
    resume, features = ind.run(conn, full, summary, {"codes": list(sel.codes), "niveau": niveau})
    meta = ind.describe(conn, sel, "taux-equipement", {"niveau": niveau, "niveau_libelle": ind.NIVEAUX[niveau]})
    return ind.Indicator(meta, resume, features)
