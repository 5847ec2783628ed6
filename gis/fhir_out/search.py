"""FHIR search parameters → SQL conditions (values always bound), per resource type.

A :class:`Query` collects the conditions, the paging and result parameters (``_count``, ``_offset``,
``_total``, ``_summary``, ``_include``, ``_elements``) and the unknown parameters (handled per
``Prefer: handling``). Conditions are over ``o`` / ``l`` / ``e`` / ``oi`` (offers, see
:data:`gis.fhir_out.rows.OFFER_FROM`), ``l`` (places) or ``g`` (organisations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from gis.errors import InvalidInput
from gis.fhir_out import params as p
from gis.fhir_out.rows import (
    CURRENT_COMMUNE,
    DERIVED_COG,
    DERIVED_GEOM,
    DERIVED_ID,
    DERIVED_POSTCODE,
    EG_ID,
    OFFER_UPDATED,
    when_derived,
)

MAX_COUNT = 1000
DEFAULT_COUNT = 100
INCLUDES = {"HealthcareService:location", "HealthcareService:organization", "HealthcareService:providedBy"}
# Practitioners are not published: these national-API includes are accepted and give nothing.
EMPTY_INCLUDES = {"PractitionerRole:practitioner", "PractitionerRole:service"}
RESULT_PARAMS = {"_count", "_offset", "_total", "_summary", "_include", "_include:iterate", "_elements", "_format",
                 "_totalMethod", "_revinclude"}  # _totalMethod: HAPI's, sent by fhirpy's count(); totals are exact

# token system key -> offer array column (characteristic, specialty)
_CHARACTERISTIC = {"R213": "modes_pec", "J19": "modes_pec", "J226": "modalites_accueil", "R338": "modalites_accueil",
                   "J30": "temporalites", "R240": "temporalites", "R245": "specialisations", "J35": "specialisations",
                   "R210": "actes", "J16": "actes"}
_SPECIALTY = {"R211": "activites", "J17": "activites", "R265": "familles", "R266": "familles", "J51": "familles"}
_ZONE_TYPE = {"R13": "3", "J124": "3", "J230": "3", "G09": "2", "J248": "2", "R30": "1", "J237": "1", "J249": "4",
              "R20": "5", "J247": "5"}


@dataclass
class Query:
    """A parsed search."""

    rtype: str
    conditions: list[sql.Composable] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    count: int = DEFAULT_COUNT
    offset: int = 0
    total: str = "accurate"
    summary_count: bool = False
    includes: set[str] = field(default_factory=set)
    iterate_partof: bool = False
    elements: list[str] | None = None
    near: tuple[float, float, float] | None = None          # lat, lon, km (distance returned per entry)
    near_insee: tuple[str, float] | None = None
    couvre: str | None = None                                # commune INSEE (coverage motif returned)
    unknown: list[str] = field(default_factory=list)

    def bind(self, value: Any) -> sql.Placeholder:
        """Return a new named placeholder bound to ``value``."""
        name = f"v{len(self.values)}"
        self.values[name] = value
        return sql.Placeholder(name)

    def where(self) -> sql.Composable:
        """All conditions joined with AND (TRUE without any)."""
        return sql.SQL(" AND ").join(self.conditions) if self.conditions else sql.SQL("true")


Handler = Callable[[Query, str, list[str]], None]
Columns = list[sql.Composable]

#: The place columns of an offer: those of its ``lieu``, or else (NULL) those of the Location derived from it.
OFFER_PLACE_IDS: Columns = [sql.SQL("l.ror_id"), when_derived(DERIVED_ID)]
OFFER_PLACE_POINTS: Columns = [sql.SQL("l.geom"), when_derived(DERIVED_GEOM)]
_OFFER_PLACE_COGS: Columns = [sql.SQL("coalesce(l.commune_cog, l.commune_insee)"), when_derived(DERIVED_COG)]
_OFFER_PLACE_POSTCODES: Columns = [sql.SQL("l.code_postal"), when_derived(DERIVED_POSTCODE)]
# Location search: the relation gis.fhir_out.derived.locations_from, with the columns of ``lieu``.
_LOCATION_COG: Columns = [sql.SQL("coalesce(l.commune_cog, l.commune_insee)")]


def _or(conditions: list[sql.Composable]) -> sql.Composable:
    return sql.SQL("({})").format(sql.SQL(" OR ").join(conditions))


def _any_of(q: Query, name: str, values: list[str], column: str) -> None:
    _any_in(q, name, values, [sql.SQL(column)])


def _any_in(q: Query, name: str, values: list[str], columns: Columns) -> None:
    for alternatives in p.tokens(name, values):
        codes = q.bind([code for _system, code in alternatives])
        q.conditions.append(_or([sql.SQL("{} = ANY ({}::text[])").format(c, codes) for c in columns]))


def _identifier(column: str) -> Handler:
    def handler(q: Query, name: str, values: list[str]) -> None:
        for alternatives in p.identifiers(name, values):
            q.conditions.append(sql.SQL("{} = ANY ({}::text[])").format(sql.SQL(column), q.bind(alternatives)))
    return handler


def _by_system(q: Query, name: str, values: list[str], columns: dict[str, str]) -> None:
    for alternatives in p.tokens(name, values):
        ors: list[sql.Composable] = []
        for system, code in alternatives:
            targets = sorted(set(columns.values())) if not system else [columns.get(system, "")]
            for column in filter(None, targets):
                ors.append(sql.SQL("{} = ANY (o.{})").format(q.bind(code), sql.Identifier(column)))
        q.conditions.append(sql.SQL("({})").format(sql.SQL(" OR ").join(ors) if ors else sql.SQL("false")))


def _zone(q: Query, name: str, values: list[str]) -> None:
    for alternatives in p.tokens(name, values):
        ors: list[sql.Composable] = []
        for system, code in alternatives:
            cond = sql.SQL("z.code = {}").format(q.bind(code))
            if system:
                cond = sql.SQL("{} AND z.type_division = {}").format(cond, q.bind(_ZONE_TYPE.get(system, "?")))
            ors.append(sql.SQL("({})").format(cond))
        q.conditions.append(sql.SQL("EXISTS (SELECT 1 FROM zone_intervention z WHERE z.offre_id = o.id AND ({}))")
                            .format(sql.SQL(" OR ").join(ors)))


def _couvre(q: Query, name: str, values: list[str]) -> None:
    system, code = p.token(name, p.one(name, values))
    q.couvre = code
    q.conditions.append(sql.SQL("EXISTS (SELECT 1 FROM couverture cv WHERE cv.offre_id = o.id AND cv.insee = "
                                "{})").format(CURRENT_COMMUNE.format(c=q.bind(code))))


def _organization(q: Query, name: str, values: list[str]) -> None:
    for value in values:
        ids = [p.logical_id(name, v) for v in p.split_or(value)]
        q.conditions.append(sql.SQL("(oi.ror_id = ANY ({ids}) OR {eg} = ANY ({ids}))").format(
            ids=q.bind(ids), eg=EG_ID))


def _postal(columns: Columns) -> Handler:
    def handler(q: Query, name: str, values: list[str]) -> None:
        for value in values:
            prefixes = q.bind([v + "%" for v in p.split_or(value)])
            q.conditions.append(_or([sql.SQL("{} LIKE ANY ({}::text[])").format(c, prefixes) for c in columns]))
    return handler


def _within(q: Query, points: Columns, centre: sql.Composable, km: float) -> None:
    metres = q.bind(km * 1000)
    q.conditions.append(_or([sql.SQL("ST_DWithin({}::geography, {}::geography, {})").format(point, centre, metres)
                             for point in points]))


def _near(points: Columns) -> Handler:
    def handler(q: Query, name: str, values: list[str]) -> None:
        q.near = p.near(name, p.one(name, values))
        lat, lon, km = q.near
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidInput(f"Paramètre « {name} » : latitude entre -90 et 90, longitude entre -180 et 180.")
        _within(q, points, sql.SQL("ST_SetSRID(ST_MakePoint({}, {}), 4326)").format(q.bind(lon), q.bind(lat)), km)
    return handler


def _near_insee(points: Columns) -> Handler:
    def handler(q: Query, name: str, values: list[str]) -> None:
        q.near_insee = p.near_insee(name, p.one(name, values))
        code, km = q.near_insee
        _within(q, points, sql.SQL("(SELECT c.centre FROM geo_commune c WHERE c.insee = {})").format(q.bind(code)), km)
    return handler


def _number(column: str) -> Handler:
    def handler(q: Query, name: str, values: list[str]) -> None:
        for value in values:
            op, n = p.number(name, value)
            q.conditions.append(sql.SQL("{} {} {}").format(sql.SQL(column), sql.SQL(op), q.bind(n)))
    return handler


def _updated(column: sql.Composable) -> Handler:
    def handler(q: Query, name: str, values: list[str]) -> None:
        for value in values:
            for op, moment in p.date_range(name, value):
                q.conditions.append(sql.SQL("{} {} {}").format(column, sql.SQL(op), q.bind(moment)))
    return handler


def _ids(columns: Columns) -> Handler:
    def handler(q: Query, name: str, values: list[str]) -> None:
        for value in values:
            ids = q.bind([p.logical_id(name, v) for v in p.split_or(value)])
            q.conditions.append(_or([sql.SQL("{} = ANY ({}::text[])").format(c, ids) for c in columns]))
    return handler


HANDLERS: dict[str, dict[str, Handler]] = {
    "HealthcareService": {
        "_id": _ids([sql.SQL("o.ror_id")]),
        "identifier": _identifier("coalesce(o.identifiant, o.ror_id)"),  # as resources.healthcare_service publishes
        "_lastUpdated": _updated(OFFER_UPDATED),
        "_tag": lambda q, n, v: _any_of(q, n, v, "split_part(o.identifiant, '/', 1)"),
        "intervention-zone": _zone,
        "couvre-commune": _couvre,
        "service-category": lambda q, n, v: _any_of(q, n, v, "o.type_offre"),
        "type": lambda q, n, v: _any_of(q, n, v, "o.champ"),
        "specialty": lambda q, n, v: _by_system(q, n, v, _SPECIALTY),
        "characteristic": lambda q, n, v: _by_system(q, n, v, _CHARACTERISTIC),
        "organization": _organization,
        "organization.type": lambda q, n, v: _any_of(q, n, v, "e.categorie"),
        "location": _ids(OFFER_PLACE_IDS),
        "location.address-postalcode": _postal(_OFFER_PLACE_POSTCODES),
        "location.commune-cog": lambda q, n, v: _any_in(q, n, v, _OFFER_PLACE_COGS),
        "location.near": _near(OFFER_PLACE_POINTS),
        "location.near-insee-code": _near_insee(OFFER_PLACE_POINTS),
        "age-range-low": _number("o.age_min"),
        "age-range-high": _number("o.age_max"),
    },
    "Location": {
        "_id": _ids([sql.SQL("l.ror_id")]),
        "_lastUpdated": _updated(sql.SQL("l.updated_at")),
        "near": _near([sql.SQL("l.geom")]),
        "near-insee-code": _near_insee([sql.SQL("l.geom")]),
        "commune-cog": lambda q, n, v: _any_in(q, n, v, _LOCATION_COG),
        "address-postalcode": _postal([sql.SQL("l.code_postal")]),
    },
    "Organization": {
        "_id": _ids([sql.SQL("g.fhir_id")]),
        "_lastUpdated": _updated(sql.SQL("g.updated_at")),
        "identifier": _identifier("g.identifiant"),
        "type": lambda q, n, v: _any_of(q, n, v, "g.type_code"),
        "partof": _ids([sql.SQL("g.part_of")]),
    },
}


def known(rtype: str, name: str) -> bool:
    """Return whether ``name`` is a search or result parameter of ``rtype`` (the others are ignored, or refused)."""
    return name in RESULT_PARAMS or name in HANDLERS[rtype]


def parse(rtype: str, items: list[tuple[str, str]]) -> Query:
    """Return a :class:`Query` from the (name, value) pairs of the URL.

    Raises
    ------
    InvalidInput
        A malformed value, or an unsupported ``_include`` / ``_summary`` / ``_total``.
    """
    q = Query(rtype)
    grouped: dict[str, list[str]] = {}
    for name, value in items:
        grouped.setdefault(name, []).append(value)
    handlers = HANDLERS[rtype]
    for name, values in grouped.items():
        if name in RESULT_PARAMS:
            _result_param(q, name, values)
        elif name in handlers:
            handlers[name](q, name, values)
        else:
            q.unknown.append(name[:40])
    return q


def _count(q: Query, name: str, values: list[str]) -> None:
    q.count = p.integer(name, p.one(name, values), 0, MAX_COUNT)
    q.summary_count = q.summary_count or q.count == 0


def _offset(q: Query, name: str, values: list[str]) -> None:
    q.offset = p.integer(name, p.one(name, values), 0, 1_000_000)


def _total(q: Query, name: str, values: list[str]) -> None:
    q.total = p.one(name, values)
    if q.total not in ("none", "estimate", "accurate"):
        raise InvalidInput("Paramètre « _total » : valeurs permises none, estimate, accurate.")


def _summary(q: Query, name: str, values: list[str]) -> None:
    value = p.one(name, values)
    if value not in ("count", "false"):
        raise InvalidInput("Paramètre « _summary » : seules les valeurs « count » et « false » sont prises "
                           "en charge.")
    q.summary_count = value == "count"


def _revinclude(q: Query, name: str, values: list[str]) -> None:
    if q.rtype != "HealthcareService" or any(v != "PractitionerRole:service" for v in values):
        raise InvalidInput("Paramètre « _revinclude » : seule la valeur « PractitionerRole:service » est prise "
                           "en charge (sans résultat : les professionnels ne sont pas publiés).")


def _include(q: Query, name: str, values: list[str]) -> None:
    for value in values:
        if value in EMPTY_INCLUDES:
            continue
        if q.rtype != "HealthcareService" or value not in INCLUDES:
            raise InvalidInput(f"Paramètre « _include » : « {value[:60]} » non pris en charge "
                               f"(permis : {', '.join(sorted(INCLUDES))}).")
        q.includes.add("location" if value.endswith(":location") else "organization")


def _include_iterate(q: Query, name: str, values: list[str]) -> None:
    if any(v != "Organization:partof" for v in values):
        raise InvalidInput("Paramètre « _include:iterate » : seule la valeur « Organization:partof » est prise "
                           "en charge.")
    q.iterate_partof = True


def _elements(q: Query, name: str, values: list[str]) -> None:
    q.elements = [e for v in values for e in p.split_or(v)]


def _format(q: Query, name: str, values: list[str]) -> None:
    if any(v not in ("json", "application/json", "application/fhir+json") for v in values):
        raise InvalidInput("Paramètre « _format » : seul le format JSON est disponible.")


_RESULT_PARAMS: dict[str, Callable[[Query, str, list[str]], None]] = {
    "_count": _count, "_offset": _offset, "_total": _total, "_summary": _summary, "_revinclude": _revinclude,
    "_include": _include, "_include:iterate": _include_iterate, "_elements": _elements, "_format": _format,
}


def _result_param(q: Query, name: str, values: list[str]) -> None:
    handler = _RESULT_PARAMS.get(name)
    if handler is not None:
        handler(q, name, values)
