"""CQL2 (OGC API – Features Part 3) → SQL, with bound values and ``psycopg.sql`` identifiers.

Text and JSON filters are parsed by the ``cql2`` package (the reference Rust implementation) into CQL2
JSON, which is translated here. Supported: ``and``/``or``/``not``, comparisons, ``like``, ``in``,
``between``, ``isNull``, ``casei``, and the spatial functions ``s_intersects``, ``s_within``,
``s_contains``, ``s_disjoint``, ``s_equals``, ``s_touches``, ``s_overlaps``, ``s_crosses`` with BBOX and
GeoJSON/WKT geometries (points, lines, polygons). Property names must be queryables of the collection.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import cql2
from psycopg import sql

from gis.errors import InvalidInput
from gis.layers.ogc.registry import Collection, column

MAX_FILTER_CHARS = 20_000
MAX_NODES = 500
MAX_NESTING = 64  # the cql2 parser is recursive: ~2,000 nested levels overflow its stack and kill the process
_RUN_OF_PREFIX_OPS = re.compile(rf"(?:(?:\bNOT\b|-)\s*){{{MAX_NESTING + 1},}}", re.IGNORECASE)
GEOMETRY_NAMES = ("geometry", "geom")

_COMPARISONS = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SPATIAL = {
    "s_intersects": "ST_Intersects", "s_within": "ST_Within", "s_contains": "ST_Contains",
    "s_disjoint": "ST_Disjoint", "s_equals": "ST_Equals", "s_touches": "ST_Touches",
    "s_overlaps": "ST_Overlaps", "s_crosses": "ST_Crosses",
}


def parse(text: str, lang: str | None = None) -> dict[str, Any]:
    """Parse a CQL2 filter (``cql2-text`` or ``cql2-json``) into CQL2 JSON.

    Parameters
    ----------
    text : str
        The filter as given in the ``filter`` query parameter.
    lang : str, optional
        ``cql2-text`` (default) or ``cql2-json``.

    Returns
    -------
    dict
        The CQL2 JSON expression.

    Raises
    ------
    InvalidInput
        On a syntax error, an unknown language or an oversized filter.
    """
    lang = (lang or "cql2-text").lower()
    if len(text) > MAX_FILTER_CHARS:
        raise InvalidInput(f"Filtre trop long (au plus {MAX_FILTER_CHARS} caractères).")
    if lang == "cql2-text":
        _check_nesting(text)
    try:
        if lang == "cql2-text":
            expr = cql2.parse_text(text)
        elif lang == "cql2-json":
            expr = cql2.parse_json(text)
        else:
            raise InvalidInput("filter-lang : valeurs permises cql2-text, cql2-json.")
        return expr.to_json()
    except (cql2.ParseError, cql2.ValidationError, ValueError) as exc:
        raise InvalidInput(f"Filtre CQL2 invalide : {syntax_reason(str(exc), text)}") from None


# Tokens of the cql2 parser's "expected …" list, in French.
_EXPECTED = {"Identifier": "un nom de propriété", "SingleQuotedString": "un texte entre apostrophes",
             "DECIMAL": "un nombre", "Double": "un nombre", "GEOMETRY": "une géométrie", "True": "TRUE",
             "False": "FALSE", "Null": "NULL", "ExpressionInParentheses": "une parenthèse", "Array": "une liste",
             "Negative": "un nombre négatif", "UnaryNot": "NOT"}


def syntax_reason(message: str, text: str) -> str:
    """Say the parser's error in French: where (character N, with the text around it) and what was expected.

    Parameters
    ----------
    message : str
        The cql2 parser's message (`` --> 1:6 … = expected Identifier, …``), or another error's text.
    text : str
        The filter as received.

    Returns
    -------
    str
        A one-line reason of at most about 250 characters.
    """
    where = re.search(r"-->\s*(\d+):(\d+)", message)
    if not where:
        first = message.strip().splitlines()[0] if message.strip() else ""
        return (first or "syntaxe")[:200]
    line, col = int(where.group(1)), int(where.group(2))
    row = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else text
    around = f"« {row[max(0, col - 21):col - 1]}⟨ici⟩{row[col - 1:col + 19]} »"
    expected = re.search(r"expected (.+)$", message, flags=re.MULTILINE)
    tokens: list[str] = []
    for token in re.split(r",\s*(?:or\s+)?|\s+or\s+", expected.group(1)) if expected else []:
        label = _EXPECTED.get(token.strip(), token.strip())
        if label and label not in tokens:
            tokens.append(label)
    hint = f" ; attendu : {', '.join(tokens)}" if tokens else ""
    return f"erreur de syntaxe au caractère {col} {around}{hint}"[:250]


def _check_nesting(text: str) -> None:
    """Reject a cql2-text filter nested deeper than :data:`MAX_NESTING` (parentheses, NOT or minus chains)."""
    depth = deepest = 0
    quoted = False
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif not quoted and char == ")":
            depth -= 1
    if deepest > MAX_NESTING or _RUN_OF_PREFIX_OPS.search(re.sub(r"'[^']*'", "''", text)):
        raise InvalidInput(f"Filtre trop imbriqué (au plus {MAX_NESTING} niveaux).")


@dataclass
class Translator:
    """Translates one CQL2 JSON expression for ``collection``; values go to ``params``."""

    collection: Collection
    params: dict[str, Any]
    srid: int = 4326
    nodes: int = 0
    prefix: str = "f"
    _types: dict[str, str] = field(default_factory=dict)

    def bind(self, value: Any) -> sql.Composable:
        """Add ``value`` to the parameters; return its placeholder."""
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return sql.Placeholder(name)

    def translate(self, node: Any) -> sql.Composable:
        """Return SQL condition for a CQL2 JSON boolean expression."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InvalidInput(f"Filtre trop complexe (au plus {MAX_NODES} éléments).")
        if isinstance(node, bool):
            return sql.SQL("TRUE" if node else "FALSE")
        if not isinstance(node, dict) or "op" not in node:
            raise InvalidInput("Filtre CQL2 invalide : une condition est attendue.")
        op = str(node["op"]).lower()
        args = node.get("args") or []
        if op in ("and", "or", "not"):
            return self._logical(op, args)
        if op in _COMPARISONS:
            return self._comparison(op, args)
        if op in ("like", "between", "isnull"):
            return self._predicate(op, args)
        if op == "in":
            return self._in(args)
        if op in _SPATIAL:
            left, right = _two(args)
            return sql.SQL("{}({}, {})").format(sql.SQL(_SPATIAL[op]), self.spatial(left), self.spatial(right))
        raise InvalidInput(f"Opérateur CQL2 non pris en charge : {op[:30]}.")

    def _logical(self, op: str, args: list[Any]) -> sql.Composable:
        if op == "not":
            return sql.SQL("(NOT {})").format(self.translate(_one(args)))
        joiner = sql.SQL(" AND " if op == "and" else " OR ")
        return sql.SQL("({})").format(joiner.join(self.translate(a) for a in args))

    def _predicate(self, op: str, args: list[Any]) -> sql.Composable:
        if op == "like":
            left, right = _two(args)
            return sql.SQL("({}::text LIKE {})").format(self.scalar(left), self.scalar(right, "string"))
        if op == "isnull":
            return sql.SQL("({} IS NULL)").format(self.scalar(_one(args)))
        if len(args) != 3:
            raise InvalidInput("Filtre CQL2 invalide : BETWEEN attend trois arguments.")
        kind = self._kind(args[0])
        return sql.SQL("({} BETWEEN {} AND {})").format(
            self.scalar(args[0]), self.scalar(args[1], kind), self.scalar(args[2], kind))

    def _comparison(self, op: str, args: list[Any]) -> sql.Composable:
        left, right = _two(args)
        kind = self._kind(left) or self._kind(right)
        if None not in (self._kind(left), self._kind(right)) and self._kind(left) != self._kind(right):
            raise InvalidInput("Filtre CQL2 invalide : comparaison de propriétés de types différents.")
        return sql.SQL("({} {} {})").format(
            self.scalar(left, kind), sql.SQL(_COMPARISONS[op]), self.scalar(right, kind))

    def _in(self, args: list[Any]) -> sql.Composable:
        left, values = _two(args)
        if not isinstance(values, list) or not values:
            raise InvalidInput("Filtre CQL2 invalide : IN attend une liste non vide.")
        kind = self._kind(left)
        return sql.SQL("({} IN ({}))").format(
            self.scalar(left), sql.SQL(", ").join(self.scalar(v, kind) for v in values))

    def _kind(self, node: Any) -> str | None:
        if isinstance(node, dict) and "property" in node:
            prop = self.collection.prop(str(node["property"]))
            return prop.type if prop else "string"
        if isinstance(node, dict) and str(node.get("op", "")).lower() == "casei":
            return "string"
        return None

    def scalar(self, node: Any, kind: str | None = None) -> sql.Composable:
        """Return SQL for a scalar operand: a queryable property, ``casei(...)`` or a bound literal."""
        if isinstance(node, dict) and "property" in node:
            return self.column(str(node["property"]))
        if isinstance(node, dict) and str(node.get("op", "")).lower() == "casei":
            return sql.SQL("lower(({})::text)").format(self.scalar(_one(node.get("args") or []), "string"))
        if isinstance(node, dict | list):
            raise InvalidInput("Filtre CQL2 invalide : valeur non prise en charge (date, tableau ou fonction).")
        return self.bind(_coerce(node, kind))

    def column(self, name: str) -> sql.Composable:
        """Return the column of a queryable property (``InvalidInput`` for any other name)."""
        if name == "id" or self.collection.prop(name) is not None:
            return column(name)
        allowed = ", ".join(("id", *self.collection.prop_names))
        raise InvalidInput(f"Propriété inconnue dans le filtre : « {name[:40]} » (permises : {allowed}).")

    def spatial(self, node: Any) -> sql.Composable:
        """Return SQL for a spatial operand: the geometry property, a BBOX or a GeoJSON geometry."""
        if isinstance(node, dict) and "property" in node:
            if node["property"] not in GEOMETRY_NAMES:
                raise InvalidInput("Filtre CQL2 invalide : la propriété géométrique s'appelle « geometry ».")
            return sql.SQL("t.geom")
        if isinstance(node, dict) and "bbox" in node:
            box = node["bbox"]
            if not isinstance(box, list) or len(box) not in (4, 6):
                raise InvalidInput("Filtre CQL2 invalide : BBOX attend 4 nombres.")
            box = [box[0], box[1], box[3], box[4]] if len(box) == 6 else box
            env = sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
                *(self.bind(float(v)) for v in box), sql.Literal(self.srid))
            return self._to_4326(env)
        if isinstance(node, dict) and "type" in node and "coordinates" in node:
            geom = sql.SQL("ST_SetSRID(ST_GeomFromGeoJSON({}::text), {})").format(
                self.bind(json.dumps(node)), sql.Literal(self.srid))
            return self._to_4326(geom)
        raise InvalidInput("Filtre CQL2 invalide : opérande spatial attendu (geometry, BBOX, POINT, POLYGON…).")

    def _to_4326(self, geom: sql.Composable) -> sql.Composable:
        return geom if self.srid == 4326 else sql.SQL("ST_Transform({}, 4326)").format(geom)


def _one(args: list[Any]) -> Any:
    if len(args) != 1:
        raise InvalidInput("Filtre CQL2 invalide : un argument attendu.")
    return args[0]


def _two(args: list[Any]) -> tuple[Any, Any]:
    if len(args) != 2:
        raise InvalidInput("Filtre CQL2 invalide : deux arguments attendus.")
    return args[0], args[1]


def _coerce(value: Any, kind: str | None) -> Any:
    """Return a literal in the Python type of the property it is compared with (CQL2 numbers arrive as floats)."""
    if isinstance(value, float) and value.is_integer() and kind in ("string", "integer"):
        value = int(value)
    if kind == "string":
        return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidInput("Filtre CQL2 invalide : un nombre est attendu.")
        try:
            return float(value) if kind == "number" or isinstance(value, float) else int(value)
        except ValueError:
            raise InvalidInput(f"Filtre CQL2 invalide : « {str(value)[:30]} » n'est pas un nombre.") from None
    if kind == "boolean" and not isinstance(value, bool):
        raise InvalidInput("Filtre CQL2 invalide : une valeur booléenne (true/false) est attendue.")
    return value


def to_sql(expr: dict[str, Any], collection: Collection, params: dict[str, Any], *,
           srid: int = 4326) -> sql.Composable:
    """Return the SQL condition (on alias ``t``) of a CQL2 JSON expression; bound values are added to ``params``.

    Parameters
    ----------
    expr : dict
        CQL2 JSON, as returned by :func:`parse`.
    collection : Collection
        Whose queryables the property names must be.
    params : dict
        Named parameters of the statement, completed in place.
    srid : int
        CRS of the geometry literals (``filter-crs``): 4326 (CRS84) or 2154.

    Returns
    -------
    psycopg.sql.Composable
    """
    return Translator(collection, params, srid=srid).translate(expr)
