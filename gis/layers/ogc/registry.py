"""The OGC collections: one SQL source per collection, its properties (the queryables) and geometry.

Every source is a constant ``SELECT`` giving a text ``id``, the public properties, ``geom`` (EPSG:4326,
full geometry) and ``geom_simple`` (display geometry, used by tiles at low zooms); the reference polygons also give
``geom_3857`` and ``geom_simple_3857``, their Web Mercator copies (migration 017), which tiles use as they
are. Offers and territories never include definitively closed offers, nor sensitive units unless the visibility
includes them (:func:`get` with a :class:`gis.access.Visibility`); contacts are not exposed at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.errors import NotFound

# Public offers only (the same rule as gis.layers.offres).
_PUBLIC = "NOT o.unite_sensible AND o.statut <> 'fermee'"
# Offers seen by a visibility that includes sensitive units (an unclear flag counts as sensitive: shown).
_WITH_SENSITIVE = "o.statut <> 'fermee'"


@dataclass(frozen=True)
class Prop:
    """One property of a collection: a column of its source, exposed and queryable."""

    name: str
    type: str  # JSON Schema type: string, integer, number, boolean
    title: str


@dataclass(frozen=True)
class Param:
    """A parameter of a parameterised collection (bound in its source as ``%(name)s``, a text array)."""

    name: str
    title: str
    example: str


@dataclass(frozen=True)
class Collection:
    """A feature collection served under ``/ogc/collections/{id}``."""

    id: str
    title: str
    description: str
    source: str
    props: tuple[Prop, ...]
    geometry_type: str
    extent_sql: str
    default_sort: tuple[str, ...] = ("id",)
    params: tuple[Param, ...] = ()
    tile_minzoom: int = 5
    tile_maxzoom: int = 16
    simple_below_zoom: int = 11  # tiles use geom_simple under this zoom
    mercator: bool = False  # the source has geom_3857 / geom_simple_3857 (no ST_Transform per tile)
    keywords: tuple[str, ...] = field(default_factory=tuple)

    @property
    def prop_names(self) -> tuple[str, ...]:
        """Names of the public properties, in order."""
        return tuple(p.name for p in self.props)

    def prop(self, name: str) -> Prop | None:
        """Return the property called ``name``, or None."""
        return next((p for p in self.props if p.name == name), None)


def _s(name: str, title: str) -> Prop:
    return Prop(name, "string", title)


def _i(name: str, title: str) -> Prop:
    return Prop(name, "integer", title)


_COMMUNES = Collection(
    id="communes",
    title="Communes et arrondissements municipaux",
    description="Communes (COG 2026) et arrondissements municipaux de Paris, Lyon et Marseille "
    "(propriété type), géométrie IGN Admin Express 2018.",
    source="""
        SELECT c.insee AS id, c.insee, c.nom, c.type, c.parent_insee, c.departement, c.region,
               array_to_string(c.codes_postaux, ',') AS codes_postaux, c.population, c.epci_code, c.epci_nom,
               round(c.area_km2::numeric, 3)::float AS superficie_km2, c.geom, c.geom_simple,
               c.geom_3857, c.geom_simple_3857
          FROM geo_commune c
    """,
    props=(
        _s("insee", "Code INSEE"), _s("nom", "Nom"), _s("type", "Type (commune ou arrondissement-municipal)"),
        _s("parent_insee", "Commune parente (arrondissements)"), _s("departement", "Département"),
        _s("region", "Région"), _s("codes_postaux", "Codes postaux (séparés par des virgules)"),
        _i("population", "Population"), _s("epci_code", "Code EPCI"), _s("epci_nom", "EPCI"),
        Prop("superficie_km2", "number", "Superficie (km²)"),
    ),
    geometry_type="MultiPolygon",
    extent_sql="SELECT ST_Extent(geom) AS e FROM geo_commune",
    mercator=True,
    keywords=("communes", "arrondissements", "COG"),
)

_DEPARTEMENTS = Collection(
    id="departements",
    title="Départements",
    description="Départements chargés (géométrie dérivée des communes).",
    source="""
        SELECT d.code AS id, d.code, d.nom, d.region, r.nom AS region_nom, d.chef_lieu, d.geom, d.geom_simple,
               d.geom_3857, d.geom_simple_3857
          FROM geo_departement d LEFT JOIN geo_region r ON r.code = d.region
    """,
    props=(_s("code", "Code"), _s("nom", "Nom"), _s("region", "Code région"), _s("region_nom", "Région"),
           _s("chef_lieu", "Chef-lieu (code INSEE)")),
    geometry_type="MultiPolygon",
    extent_sql="SELECT ST_Extent(geom) AS e FROM geo_departement",
    tile_minzoom=0,
    simple_below_zoom=10,
    mercator=True,
)

_REGIONS = Collection(
    id="regions",
    title="Régions",
    description="Régions chargées.",
    source="SELECT g.code AS id, g.code, g.nom, g.geom, g.geom_simple, g.geom_3857, g.geom_simple_3857 "
    "FROM geo_region g",
    props=(_s("code", "Code"), _s("nom", "Nom")),
    geometry_type="MultiPolygon",
    extent_sql="SELECT ST_Extent(geom) AS e FROM geo_region",
    tile_minzoom=0,
    simple_below_zoom=10,
    mercator=True,
)

_ETABLISSEMENTS = Collection(
    id="etablissements",
    title="Établissements (EG)",
    description="Entités géographiques (établissements) : FINESS, catégorie, adresse, localisation.",
    source="""
        SELECT coalesce(e.finess, e.ror_id, e.id::text) AS id, e.finess, e.finess_ej, e.nom, e.categorie,
               n.label AS categorie_libelle, e.adresse, e.code_postal, e.ville, e.commune_insee, e.telephone,
               e.geocodage_qualite, e.fictif, e.geom, e.geom AS geom_simple
          FROM etablissement e
          LEFT JOIN nomenclature n ON n.name = 'categorie_eg' AND n.code = e.categorie
    """,
    props=(
        _s("finess", "FINESS ET"), _s("finess_ej", "FINESS EJ"), _s("nom", "Nom"),
        _s("categorie", "Catégorie (code)"), _s("categorie_libelle", "Catégorie"), _s("adresse", "Adresse"),
        _s("code_postal", "Code postal"), _s("ville", "Ville"), _s("commune_insee", "Commune (INSEE)"),
        _s("telephone", "Téléphone"), _s("geocodage_qualite", "Qualité du géocodage"),
        Prop("fictif", "boolean", "Donnée fictive"),
    ),
    geometry_type="Point",
    extent_sql="SELECT ST_Extent(geom) AS e FROM etablissement",
    tile_minzoom=7,
)

_OFFRES = Collection(
    id="offres",
    title="Offres de santé publiques",
    description="Offres opérationnelles publiques (hors unités sensibles et offres fermées), localisées "
    "à leur lieu de réalisation ou à leur établissement, avec leur type d'offre et leur EG.",
    source=f"""
        SELECT o.ror_id AS id, o.identifiant, o.nom, o.type_offre, nt.label AS type_offre_libelle,
               o.champ, nch.label AS champ_libelle, o.statut, o.age_min, o.age_max,
               array_to_string(o.activites, ',') AS activites, array_to_string(o.publics, ',') AS publics,
               array_to_string(o.modes_pec, ',') AS modes_prise_en_charge,
               e.finess AS etablissement_finess, e.nom AS etablissement_nom,
               e.categorie AS etablissement_categorie, coalesce(l.commune_insee, e.commune_insee) AS commune_insee,
               o.capacite, o.capacite_type, to_char(o.capacite_maj AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS capacite_maj,
               o.provenance -> 'capacite' ->> 'source' AS capacite_source, o.capacite_disponible,
               to_char(o.capacite_disponible_maj AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                   AS capacite_disponible_maj, o.disponibilite_fictive,
               o.fictif, o.geom, o.geom AS geom_simple
          FROM offre o
          LEFT JOIN etablissement e ON e.id = o.etablissement_id
          LEFT JOIN lieu l ON l.id = o.lieu_id
          LEFT JOIN nomenclature nt ON nt.name = 'type_offre' AND nt.code = o.type_offre
          LEFT JOIN nomenclature nch ON nch.name = 'champ' AND nch.code = o.champ
         WHERE {_PUBLIC}
    """,  # noqa: S608 - constant fragments
    props=(
        _s("identifiant", "Identifiant ROR de l'offre"), _s("nom", "Nom"), _s("type_offre", "Type d'offre (code)"),
        _s("type_offre_libelle", "Type d'offre"), _s("champ", "Champ (code)"), _s("champ_libelle", "Champ"),
        _s("statut", "Statut"), _i("age_min", "Âge minimum"), _i("age_max", "Âge maximum"),
        _s("activites", "Activités (codes)"), _s("publics", "Publics (codes)"),
        _s("modes_prise_en_charge", "Modes de prise en charge (codes)"),
        _s("etablissement_finess", "FINESS de l'établissement"), _s("etablissement_nom", "Établissement"),
        _s("etablissement_categorie", "Catégorie de l'établissement"), _s("commune_insee", "Commune (INSEE)"),
        _i("capacite", "Capacité installée (lits ou places)"), _s("capacite_type", "Type de capacité (lit, place)"),
        _s("capacite_maj", "Capacité installée : date de mise à jour"),
        _s("capacite_source", "Capacité installée : source"),
        _i("capacite_disponible", "Places disponibles"),
        _s("capacite_disponible_maj", "Places disponibles : mise à jour (UTC)"),
        Prop("disponibilite_fictive", "boolean", "Places disponibles fictives (démonstration)"),
        Prop("fictif", "boolean", "Donnée fictive"),
    ),
    geometry_type="Point",
    extent_sql=f"SELECT ST_Extent(o.geom) AS e FROM offre o WHERE {_PUBLIC}",  # noqa: S608
    tile_minzoom=7,
)

_TERRITOIRES = Collection(
    id="territoires",
    title="Territoires d'intervention déclarés",
    description="Zones d'intervention déclarées des offres publiques : une entité par offre et par unité "
    "(commune, département, région ou polygone libre).",
    source=f"""
        SELECT o.ror_id || ':' || u.niveau || ':' || u.code AS id, o.ror_id AS offre_id, o.nom AS offre_nom,
               o.type_offre, nt.label AS type_offre_libelle, u.niveau, u.code,
               coalesce(c.nom, d.nom, r.nom, 'Territoire déclaré') AS nom,
               coalesce(c.geom, d.geom, r.geom, p.geom) AS geom,
               coalesce(c.geom_simple, d.geom_simple, r.geom_simple, p.geom) AS geom_simple
          FROM (SELECT z.offre_id, 'commune' AS niveau, coalesce(a.insee, z.code) AS code
                  FROM zone_intervention z
                  LEFT JOIN geo_commune_alias a ON a.code = z.code
                   AND NOT EXISTS (SELECT 1 FROM geo_commune x WHERE x.insee = z.code)
                 WHERE z.type_division = '3'
                UNION
                SELECT z.offre_id, CASE z.type_division WHEN '2' THEN 'departement' ELSE 'region' END, z.code
                  FROM zone_intervention z WHERE z.type_division IN ('1', '2')
                UNION
                SELECT p.offre_id, 'polygone', 'libre' FROM zone_polygone p) u
          JOIN offre o ON o.id = u.offre_id
          LEFT JOIN geo_commune c ON u.niveau = 'commune' AND c.insee = u.code
          LEFT JOIN geo_departement d ON u.niveau = 'departement' AND d.code = u.code
          LEFT JOIN geo_region r ON u.niveau = 'region' AND r.code = u.code
          LEFT JOIN zone_polygone p ON u.niveau = 'polygone' AND p.offre_id = u.offre_id
          LEFT JOIN nomenclature nt ON nt.name = 'type_offre' AND nt.code = o.type_offre
         WHERE {_PUBLIC} AND coalesce(c.geom, d.geom, r.geom, p.geom) IS NOT NULL
    """,  # noqa: S608 - constant fragments
    props=(
        _s("offre_id", "Offre (identifiant FHIR)"), _s("offre_nom", "Offre"), _s("type_offre", "Type d'offre (code)"),
        _s("type_offre_libelle", "Type d'offre"), _s("niveau", "Niveau (commune, departement, region, polygone)"),
        _s("code", "Code de l'unité"), _s("nom", "Nom de l'unité"),
    ),
    geometry_type="MultiPolygon",
    extent_sql="SELECT ST_Extent(geom) AS e FROM geo_departement",
    default_sort=("offre_id", "niveau", "code"),
    tile_minzoom=5,
)

_COUVERTURE = Collection(
    id="couverture",
    title="Couverture par commune pour un type d'offre",
    description="Nombre d'offres publiques d'un type donné couvrant chaque commune (Paris par "
    "arrondissement). Collection paramétrée : ?type_offre=28 (un ou plusieurs codes séparés par des virgules) ; "
    "sans ce paramètre, toutes les offres publiques sont comptées.",
    source=f"""
        SELECT c.insee AS id, c.insee, c.nom, c.type, c.departement, c.population,
               coalesce(k.n, 0)::int AS offres,
               CASE WHEN c.population > 0
                    THEN round((coalesce(k.n, 0) * 10000.0 / c.population)::numeric, 2)::float END AS pour_10000,
               c.geom, c.geom_simple, c.geom_3857, c.geom_simple_3857
          FROM geo_commune c
          LEFT JOIN (SELECT cv.insee, count(*) AS n FROM couverture cv JOIN offre o ON o.id = cv.offre_id
                      WHERE {_PUBLIC}
                        AND (%(type_offre)s::text[] IS NULL OR o.type_offre = ANY (%(type_offre)s::text[]))
                      GROUP BY cv.insee) k ON k.insee = c.insee
         WHERE NOT EXISTS (SELECT 1 FROM geo_commune a WHERE a.parent_insee = c.insee AND a.geom IS NOT NULL)
    """,  # noqa: S608 - constant fragments
    props=(
        _s("insee", "Code INSEE"), _s("nom", "Nom"), _s("type", "Type"), _s("departement", "Département"),
        _i("population", "Population"), _i("offres", "Offres couvrant la commune"),
        Prop("pour_10000", "number", "Offres pour 10 000 habitants"),
    ),
    geometry_type="MultiPolygon",
    extent_sql="SELECT ST_Extent(geom) AS e FROM geo_commune",
    mercator=True,
    params=(Param("type_offre", "Code(s) de type d'offre (JDV_J238), séparés par des virgules", "28"),),
)

COLLECTIONS: dict[str, Collection] = {
    c.id: c for c in (_COMMUNES, _DEPARTEMENTS, _REGIONS, _ETABLISSEMENTS, _OFFRES, _TERRITOIRES, _COUVERTURE)
}


_OFFER_COLUMNS = "o.fictif, o.geom, o.geom AS geom_simple"
_SENSITIVE_PROP = Prop("unite_sensible", "boolean", "Unité sensible")


def _with_sensitive(coll: Collection) -> Collection:
    """Return the collection with sensitive units; offers say which are (``unite_sensible``, fail closed)."""
    if _PUBLIC not in coll.source and _PUBLIC not in coll.extent_sql:
        return coll
    source = coll.source.replace(_PUBLIC, _WITH_SENSITIVE)
    props = coll.props
    if coll.id == "offres":
        assert _OFFER_COLUMNS in source
        source = source.replace(_OFFER_COLUMNS, "coalesce(o.unite_sensible, true) AS unite_sensible, "
                                + _OFFER_COLUMNS)
        props = (*props, _SENSITIVE_PROP)
    return replace(coll, source=source, props=props, extent_sql=coll.extent_sql.replace(_PUBLIC, _WITH_SENSITIVE))


#: The same collections for a visibility that includes sensitive units.
COLLECTIONS_WITH_SENSITIVE: dict[str, Collection] = {k: _with_sensitive(c) for k, c in COLLECTIONS.items()}


def collections(vis: Visibility = PUBLIC_VISIBILITY) -> dict[str, Collection]:
    """Return the collections as ``vis`` may see them."""
    return COLLECTIONS_WITH_SENSITIVE if vis.sensitive else COLLECTIONS


@lru_cache(maxsize=1024)
def column(name: str) -> sql.SQL:
    """``"t"."name"``: a column of the source row ``t``, quoted once (composing identifiers per request is slow).

    Only called with names checked against a collection's properties (or ``id``, ``geom``, ``geom_simple``).
    """
    return sql.SQL(sql.Identifier("t", name).as_string(None))


def get(collection_id: str, vis: Visibility = PUBLIC_VISIBILITY) -> Collection:
    """Return the collection called ``collection_id``, as ``vis`` may see it.

    Raises
    ------
    NotFound
        When no collection has that identifier.
    """
    try:
        return collections(vis)[collection_id]
    except KeyError:
        raise NotFound(f"Collection inconnue : « {collection_id[:40]} ». Voir /ogc/collections.") from None
