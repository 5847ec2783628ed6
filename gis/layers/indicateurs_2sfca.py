"""Accessibility: the two-step floating catchment area (2SFCA) of every commune.

**Accessibility** (:func:`accessibilite`): a two-step floating catchment area (2SFCA, Luo & Wang 2003, with the
distance decay of the DREES *APL*): supply and demand at the commune centres, straight-line distances in Lambert-93,
catchment radius ``rayon_km``. Step 1: the ratio of each commune *j* with places,
``R_j = S_j / Σ_k W(d_kj) P_k`` over the communes *k* within the radius; step 2: the accessibility of each commune
*i*, ``A_i = Σ_j W(d_ij) R_j``, given in places per 1,000 inhabitants. Weights ``W``: ``paliers`` (APL-like steps:
1 up to half the radius, 2/3 up to three quarters, 1/3 up to the radius), ``gaussienne``
(``(exp(-½(d/R)²) − exp(-½)) / (1 − exp(-½))``) or ``aucune`` (1 within the radius). Everything is computed by one
SQL statement (pairs found with the GiST index of ``geo_commune.centre_l93``, migration 008).

What is counted and the population: :mod:`gis.layers.indicateurs`.
"""

from __future__ import annotations

from psycopg import sql

from gis.db import Conn
from gis.errors import InvalidInput
from gis.layers import indicateurs as ind

# The 2SFCA. Pairs (j with places, i any unit) within the radius, their weights, step 1 and step 2.
_WEIGHTS: dict[str, str] = {
    "paliers": "CASE WHEN km <= %(r)s * 0.5 THEN 1.0 WHEN km <= %(r)s * 0.75 THEN 2.0 / 3 ELSE 1.0 / 3 END",
    "gaussienne": "(exp(-0.5 * (km / %(r)s) ^ 2) - exp(-0.5)) / (1 - exp(-0.5))",
    "aucune": "1.0",
}

_ACCESS = """,
    supply AS (SELECT k.insee AS j, k.places AS s, g.centre_l93 FROM per_unit k JOIN geo_commune g USING (insee)
                WHERE k.places > 0),
    pairs AS (
        SELECT sp.j, d.insee AS i, coalesce(ud.population, 0) AS pop, sp.s,
               ST_Distance(sp.centre_l93, d.centre_l93) / 1000.0 AS km
          FROM supply sp JOIN geo_commune d ON ST_DWithin(d.centre_l93, sp.centre_l93, %(r)s * 1000.0)
          JOIN unit ud ON ud.insee = d.insee
    ),
    weighted AS (SELECT j, i, pop, s, km, ({weight})::float8 AS w FROM pairs),
    ratio AS (SELECT j, max(s)::float8 / nullif(sum(w * pop), 0) AS r FROM weighted GROUP BY j),
    access AS (SELECT w.i AS insee, sum(w.w * r.r) AS a FROM weighted w JOIN ratio r USING (j) GROUP BY w.i)
    SELECT u.insee AS id, json_build_object(
               'code', u.insee, 'nom', u.nom, 'departement', u.departement, 'population', u.population,
               'places', coalesce(k.places, 0),
               'taux_pour_1000', CASE WHEN u.population > 0
                                      THEN round(coalesce(k.places, 0) * 1000.0 / u.population, 2) END,
               'accessibilite_pour_1000', round((coalesce(a.a, 0) * 1000.0)::numeric, 3),
               'structures', coalesce(k.structures, 0), 'sans_capacite', coalesce(k.sans_capacite, 0),
               'places_fictives', coalesce(k.places_fictives, 0)) AS properties,
           {geometry} AS geometry, u.population, coalesce(k.places, 0) AS places,
           coalesce(k.structures, 0) AS structures, coalesce(k.sans_capacite, 0) AS sans_capacite,
           coalesce(k.places_fictives, 0) AS places_fictives, coalesce(a.a, 0) * coalesce(u.population, 0) AS attribuees
      FROM unit u LEFT JOIN per_unit k ON k.insee = u.insee LEFT JOIN access a ON a.insee = u.insee
"""

_ACCESS_MORE = """,
        'places_attribuees', round(coalesce(sum(f.attribuees), 0)::numeric, 1)"""


def accessibilite(conn: Conn, sel: ind.Selection, *, rayon_km: float = ind.RAYON_KM_DEFAUT,
                  decroissance: str = "paliers", geometry: bool = False, checked: bool = False) -> ind.Indicator:
    """Return the 2SFCA accessibility of every commune (places per 1,000 inhabitants), see the module docstring.

    Parameters
    ----------
    conn : gis.db.Conn
        Open connection.
    sel : Selection
        Offers of types d'offre (their capacity) or establishments of categories (theirs).
    rayon_km : float
        Catchment radius (straight line between commune centres), km.
    decroissance : str
        Distance decay: ``paliers`` (APL-like), ``gaussienne`` or ``aucune``.
    geometry : bool
        Include the display geometry of each commune (GeoJSON).
    checked : bool
        The codes were already checked against the nomenclatures.

    Returns
    -------
    Indicator
        Description (method and parameters), summary (``places_attribuees`` = Σ A_i P_i, equal to the places when
        every commune with places has inhabitants within the radius) and one feature per commune.

    Raises
    ------
    InvalidInput
        Radius out of range, unknown decay, malformed or unknown codes.
    """
    if decroissance not in _WEIGHTS:
        raise InvalidInput("Décroissance inconnue : paliers, gaussienne ou aucune.")
    ind.check_rayon(rayon_km)
    ind.check(conn, sel, checked=checked)
    geom = ("(SELECT ST_AsGeoJSON(g.geom_simple, 5)::json FROM geo_commune g WHERE g.insee = u.insee)" if geometry
            else "NULL::json")
    weight = sql.SQL(_WEIGHTS[decroissance])
    full = ind.counted_places(sel) + sql.SQL(_ACCESS).format(weight=weight, geometry=sql.SQL(geom))
    summary = ind.summary_sql(_ACCESS_MORE)
    params = {"codes": list(sel.codes), "r": rayon_km}
    resume, features = ind.run(conn, full, summary, params)
    meta = ind.describe(conn, sel, "accessibilite", {
        "niveau": "commune", "niveau_libelle": ind.NIVEAUX["commune"],
        "methode": {"nom": "2SFCA (aire de chalandise flottante à deux étapes), comme l'APL de la DREES",
                    "distance": "ligne droite entre les centres des communes (Lambert-93)",
                    "rayon_km": rayon_km, "decroissance": decroissance,
                    "decroissance_libelle": ind.DECROISSANCES[decroissance],
                    "resultat": "accessibilite_pour_1000 : places accessibles pour 1 000 habitants"}})
    return ind.Indicator(meta, resume, features)
