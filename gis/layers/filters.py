"""Search filters shared by the offer layers: the codes a person chose, their checks, and their SQL condition.

Every query also carries the visibility rule (:func:`visible_offer` of a :class:`gis.access.Visibility`): closed
offers are never returned, and sensitive units only to a visibility that includes them, whatever the filters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from psycopg import sql

from gis.access import PUBLIC_VISIBILITY, Visibility
from gis.db import Conn
from gis.errors import InvalidInput
from gis.text import like_escape

CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._|-]{0,29}$")

# Visibility of the public answers (fail closed: a NULL flag hides the unit).
PUBLIC_OFFER = sql.SQL("o.unite_sensible IS FALSE AND o.statut IS DISTINCT FROM 'fermee'")
# The same for a visibility that includes sensitive units (an unclear flag counts as sensitive: shown).
_OPEN_OFFER = sql.SQL("o.statut IS DISTINCT FROM 'fermee'")


def visible_offer(vis: Visibility = PUBLIC_VISIBILITY) -> sql.Composable:
    """Return the SQL condition on offer ``o`` of the offers ``vis`` may list (open; sensitive only if allowed)."""
    return _OPEN_OFFER if vis.sensitive else PUBLIC_OFFER


def visible_unit(vis: Visibility = PUBLIC_VISIBILITY) -> sql.Composable:
    """Return the SQL condition on offer ``o`` of the units ``vis`` may see at all (closed ones included)."""
    return sql.SQL("true") if vis.sensitive else sql.SQL("o.unite_sensible IS FALSE")

# filter name -> (nomenclature list, SQL condition on the offer ``o`` / its EG ``e``)
FILTER_SQL: dict[str, tuple[str, sql.Composable]] = {
    "type_offre": ("type_offre", sql.SQL("o.type_offre = ANY ({})").format(sql.Placeholder("type_offre"))),
    "categorie": ("categorie_eg", sql.SQL("e.categorie = ANY ({})").format(sql.Placeholder("categorie"))),
    "activite": ("activite", sql.SQL("o.activites && {}").format(sql.Placeholder("activite"))),
    "mode_prise_en_charge": ("mode_prise_en_charge",
                             sql.SQL("o.modes_pec && {}").format(sql.Placeholder("mode_prise_en_charge"))),
    "public": ("public", sql.SQL("o.publics && {}").format(sql.Placeholder("public"))),
    "champ": ("champ", sql.SQL("o.champ = ANY ({})").format(sql.Placeholder("champ"))),
}


@dataclass
class Filters:
    """Search filters (codes of the NOS lists); every list field is an OR of codes."""

    type_offre: list[str] = field(default_factory=list)
    categorie: list[str] = field(default_factory=list)
    activite: list[str] = field(default_factory=list)
    mode_prise_en_charge: list[str] = field(default_factory=list)
    public: list[str] = field(default_factory=list)
    champ: list[str] = field(default_factory=list)
    age: int | None = None
    checked: bool = field(default=False, compare=False, repr=False)

    def code_fields(self) -> dict[str, list[str]]:
        """Return the code lists by filter name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("age", "checked")}


def _malformed(filters: Filters) -> list[str]:
    problems = []
    for name, codes in filters.code_fields().items():
        bad = [c for c in codes if not CODE_RE.match(c)]
        if bad:
            problems.append(f"{name} : code(s) mal formé(s) {', '.join(repr(b[:30]) for b in bad[:5])}")
    if filters.age is not None and not 0 <= filters.age <= 130:
        problems.append("age : entre 0 et 130 ans")
    return problems


def _unknown(name: str, codes: list[str], known: frozenset[str] | None) -> str | None:
    if not codes or not known:  # nomenclature not loaded: cannot check
        return None
    unknown = [c for c in codes if c not in known]
    if not unknown:
        return None
    nomenclature = FILTER_SQL[name][0]
    return (f"{name} : code(s) inconnu(s) {', '.join(unknown[:10])} "
            f"(codes permis : /api/v1/nomenclatures/{nomenclature})")


def _raise(problems: list[str]) -> None:
    if problems:
        raise InvalidInput("Filtre invalide — " + " ; ".join(problems), details=problems)


def check_codes(filters: Filters, catalog: Mapping[str, frozenset[str]]) -> None:
    """Check ``filters`` against an in-memory catalog ``{nomenclature: codes}``; mark them checked.

    Raises
    ------
    InvalidInput
        For malformed codes, or codes absent from a loaded nomenclature.
    """
    problems = _malformed(filters)
    if not problems:
        for name, codes in filters.code_fields().items():
            message = _unknown(name, codes, catalog.get(FILTER_SQL[name][0]))
            if message:
                problems.append(message)
    _raise(problems)
    filters.checked = True


def validate_filters(conn: Conn, filters: Filters) -> None:
    """Check ``filters`` against the nomenclatures in the database (one query), unless already checked.

    Raises
    ------
    InvalidInput
        For malformed codes, or codes absent from a loaded nomenclature.
    """
    if filters.checked:
        return
    _raise(_malformed(filters))
    names = [FILTER_SQL[n][0] for n, codes in filters.code_fields().items() if codes]
    if not names:
        filters.checked = True
        return
    rows = conn.execute(
        "SELECT name, array_agg(code) AS codes FROM nomenclature WHERE name = ANY (%s) GROUP BY name", (names,)
    ).fetchall()
    check_codes(filters, {r["name"]: frozenset(r["codes"]) for r in rows})


def where_clause(filters: Filters, params: dict[str, Any], vis: Visibility = PUBLIC_VISIBILITY) -> sql.Composable:
    """Return the visibility rule of ``vis`` AND the filters, as SQL over ``o`` (offre) and ``e`` (etablissement).

    The filter values are added to ``params`` (bound, never interpolated).
    """
    conditions: list[sql.Composable] = [visible_offer(vis)]
    for name, codes in filters.code_fields().items():
        if codes:
            params[name] = codes
            conditions.append(FILTER_SQL[name][1])
    if filters.age is not None:
        params["age"] = filters.age
        conditions.append(sql.SQL("{} BETWEEN coalesce(o.age_min, 0) AND coalesce(o.age_max, 200)").format(
            sql.Placeholder("age")))
    return sql.SQL(" AND ").join(conditions)


def word_prefix_conditions(words: list[str], column: sql.Composable, params: dict[str, Any],
                           name: str = "w") -> sql.Composable:
    """Return SQL requiring every typed word to start a word of ``column`` (values bound into ``params``).

    Parameters
    ----------
    words : list of str
        Normalised words (see :func:`gis.text.tokens`).
    column : psycopg.sql.Composable
        The normalised text column, e.g. ``sql.Identifier("c", "nom_norm")``.
    params : dict
        Receives ``w0``, ``w1``… (LIKE patterns, escaped).
    name : str, optional
        Prefix of the parameter names (another prefix for a second set of words in one statement).

    Returns
    -------
    psycopg.sql.Composable
        The conditions joined by AND.
    """
    conditions = []
    for i, word in enumerate(words):
        params[f"{name}{i}"] = "% " + like_escape(word) + "%"
        conditions.append(sql.SQL("(' ' || {}) LIKE {}").format(column, sql.Placeholder(f"{name}{i}")))
    return sql.SQL(" AND ").join(conditions)
