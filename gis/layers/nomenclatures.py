"""Nomenclatures (NOS code lists) and the ROR-style suggestions shown while typing."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from gis.db import Conn
from gis.errors import NotFound
from gis.layers.filters import word_prefix_conditions
from gis.text import tokens

# Suggestion groups: key -> (nomenclature list, title shown to people)
SUGGESTION_GROUPS = {
    "types_offre": ("type_offre", "Types d'offre"),
    "categories": ("categorie_eg", "Catégories d'établissement"),
    "activites": ("activite", "Activités opérationnelles"),
    "actes_specifiques": ("acte_specifique", "Actes spécifiques"),
}

# Words people type that the NOS labels spell out (normalised words -> words of the labels).
SYNONYMS: dict[str, list[str]] = {
    "ehpad": ["personnes", "agees", "dependantes"],
    "maison retraite": ["personnes", "agees"],
    "usld": ["soins", "longue", "duree"],
}


def names(conn: Conn) -> list[dict[str, Any]]:
    """Return the loaded nomenclatures with their number of codes."""
    return conn.execute(
        "SELECT name AS nom, count(*) AS codes FROM nomenclature GROUP BY name ORDER BY name"
    ).fetchall()


def codes(conn: Conn, name: str, *, include_deprecated: bool = False) -> dict[str, Any]:
    """Return the codes and French labels of one nomenclature; raise NotFound for an unknown one."""
    rows = conn.execute(
        "SELECT code, label, system, deprecated FROM nomenclature WHERE name = %s "
        "AND (%s OR NOT deprecated) ORDER BY code",
        (name, include_deprecated),
    ).fetchall()
    if not rows:
        available = ", ".join(n["nom"] for n in names(conn)) or "aucune (nomenclatures non chargées)"
        raise NotFound(f"Nomenclature inconnue : {name[:40]}. Nomenclatures disponibles : {available}.")
    return {"nom": name, "codes": rows}


def labels_for(conn: Conn, name: str, codes: list[str]) -> list[str]:
    """French labels of the given codes of one list, in code order (unknown codes are skipped)."""
    rows = conn.execute(
        "SELECT label FROM nomenclature WHERE name = %s AND code = ANY (%s) ORDER BY code", (name, codes)
    ).fetchall()
    return [r["label"] for r in rows]


def suggestions(conn: Conn, q: str, *, limit: int = 8) -> dict[str, Any]:
    """Codes and establishment names whose words start with the typed words, grouped by kind."""
    words = tokens(q or "")
    groups: list[dict[str, Any]] = []
    if not words:
        return {"q": q, "groupes": groups}
    synonym = SYNONYMS.get(" ".join(words))
    for key, (name, title) in SUGGESTION_GROUPS.items():
        params: dict[str, Any] = {"name": name, "limit": limit, "phrase": " ".join(words)}
        where = word_prefix_conditions(words, sql.Identifier("label_norm"), params)
        if synonym:  # "ehpad": the labels spelling it out, besides those containing the word
            where = sql.SQL("(({}) OR ({}))").format(
                where, word_prefix_conditions(synonym, sql.Identifier("label_norm"), params, name="s"))
        rows = conn.execute(
            sql.SQL("""
            SELECT code, label FROM nomenclature
             WHERE name = %(name)s AND NOT deprecated AND {where}
             ORDER BY label_norm LIKE %(phrase)s || '%%' DESC, length(label), code
             LIMIT %(limit)s
            """).format(where=where),
            params,
        ).fetchall()
        if rows:
            groups.append({"type": key, "titre": title, "filtre": _FILTER_FOR.get(key), "elements": rows})
    params = {"limit": limit}
    where = word_prefix_conditions(words, sql.Identifier("e", "nom_norm"), params)
    rows = conn.execute(
        sql.SQL("""
        SELECT e.finess, e.nom, e.ville, e.commune_insee
          FROM etablissement e
         WHERE e.nom_norm IS NOT NULL AND {where}
         ORDER BY length(e.nom), e.nom
         LIMIT %(limit)s
        """).format(where=where),
        params,
    ).fetchall()
    if rows:
        groups.append({"type": "etablissements", "titre": "Établissements", "filtre": None, "elements": rows})
    return {"q": q, "groupes": groups}


_FILTER_FOR = {"types_offre": "type_offre", "categories": "categorie", "activites": "activite",
               "actes_specifiques": None}
