"""Anomaly reports (« Signaler une anomalie ») about an offer or an establishment (EG).

Anyone may report (anonymous allowed); reports are stored with a status (``nouveau``, ``en_cours``, ``corrige``,
``rejete``) and the history of its changes (who, when, comment). Administrators see every report, référents the
reports about the EGs of their scope (FINESS numbers); the scope is passed in by the caller (``None`` = everything).

The rate limit counts the reports stored for one client (salted hash of its address, computed by PostgreSQL) in a
sliding window; the check and the insert are serialised per client by an advisory lock, so it holds across processes
and machines. Reports change no public answer: they do not bump the data version.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from gis import errors
from gis.db import Conn, writing
from gis.errors import InvalidInput, NotFound
from gis.identifiers import FINESS_RE

CATEGORIES: dict[str, str] = {
    "coordonnees": "Coordonnées erronées (téléphone, adresse, courriel)",
    "zone": "Zone d'intervention inexacte",
    "fermeture": "Offre ou établissement fermé, ou dates d'ouverture erronées",
    "activites": "Activités, publics ou âges pris en charge inexacts",
    "localisation": "Position sur la carte erronée",
    "nom": "Nom ou rattachement à l'établissement erroné",
    "doublon": "Doublon d'une autre offre ou d'un autre établissement",
    "autre": "Autre anomalie",
}
STATUTS: dict[str, str] = {"nouveau": "Nouveau", "en_cours": "En cours", "corrige": "Corrigé", "rejete": "Rejeté"}
CIBLES = ("offre", "etablissement")

DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 4000
COMMENT_MAX = 2000
EMAIL_MAX = 254
MAX_LIMIT = 500

# A pragmatic address check (RFC 5322 is wider): one @, a dotted domain, no spaces or control characters.
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_OFFER_REF = re.compile(r"^[0-9A-Za-z._/|-]{1,64}$")


class RateLimited(errors.RateLimited):
    """Too many reports from one client: answered 429 with ``Retry-After`` (``retry_after`` seconds)."""

    code = "trop_de_signalements"


@dataclass(frozen=True)
class RateLimit:
    """At most ``max_reports`` stored reports per client within ``window_s`` seconds."""

    max_reports: int = 5
    window_s: int = 900


@dataclass(frozen=True)
class NewReport:
    """A report as sent (checked by :func:`check_report`)."""

    cible_type: str
    cible_ref: str
    categorie: str
    description: str
    email: str | None = None


def clean_text(value: str) -> str:
    """Text without control characters (newlines and tabs kept), stripped."""
    return _CONTROL.sub("", value).strip()


def check_report(report: NewReport) -> NewReport:
    """Return the report with its text cleaned, or InvalidInput (French) naming the faulty field.

    Parameters
    ----------
    report : NewReport
        The report as sent.

    Returns
    -------
    NewReport
        The cleaned report.

    Raises
    ------
    InvalidInput
        Unknown target type or category, malformed reference, description too short or too long, malformed e-mail.
    """
    if report.cible_type not in CIBLES:
        raise InvalidInput("Cible inconnue : « offre » ou « etablissement » attendu.")
    ref = report.cible_ref.strip()
    if report.cible_type == "etablissement" and not FINESS_RE.match(ref):
        raise InvalidInput("Numéro FINESS de l'établissement mal formé (9 caractères, ex. 750000523).")
    if report.cible_type == "offre" and not _OFFER_REF.match(ref):
        raise InvalidInput("Identifiant d'offre mal formé.")
    if report.categorie not in CATEGORIES:
        raise InvalidInput("Catégorie d'anomalie inconnue : valeurs permises " + ", ".join(CATEGORIES) + ".")
    description = clean_text(report.description)
    if len(description) < DESCRIPTION_MIN:
        raise InvalidInput(f"Décrivez l'anomalie (au moins {DESCRIPTION_MIN} caractères).")
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(f"Description trop longue (au plus {DESCRIPTION_MAX} caractères).")
    email = (report.email or "").strip() or None
    if email is not None and (len(email) > EMAIL_MAX or not EMAIL_RE.match(email)):
        raise InvalidInput("Adresse électronique invalide (ex. prenom.nom@exemple.fr), ou laissez le champ vide.")
    return NewReport(report.cible_type, ref, report.categorie, description, email)


_TARGET_OFFER = """
SELECT o.id AS offre_id, e.id AS etablissement_id, o.ror_id AS ref, o.nom, e.finess
  FROM offre o LEFT JOIN etablissement e ON e.id = o.etablissement_id
 WHERE (o.ror_id = %(ref)s OR o.identifiant = %(ref)s) AND (%(sensitive)s OR o.unite_sensible IS FALSE)
 ORDER BY o.ror_id = %(ref)s DESC LIMIT 1
"""
_TARGET_EG = """
SELECT NULL::bigint AS offre_id, e.id AS etablissement_id, e.finess AS ref, e.nom, e.finess
  FROM etablissement e WHERE e.finess = %(ref)s
"""


def target(conn: Conn, cible_type: str, ref: str, *, see_sensitive: bool = False) -> dict[str, Any]:
    """Return what a report would be about: ``{"type", "ref", "nom", "finess"}`` (for the report form).

    Raises
    ------
    InvalidInput
        Unknown target type or malformed reference.
    NotFound
        Unknown offer or establishment (or a sensitive unit the caller may not see).
    """
    checked = check_report(NewReport(cible_type, ref, "autre", "x" * DESCRIPTION_MIN))
    query = _TARGET_OFFER if cible_type == "offre" else _TARGET_EG
    row = conn.execute(query, {"ref": checked.cible_ref, "sensitive": see_sensitive}).fetchone()
    if row is None:
        what = "offre" if cible_type == "offre" else "établissement"
        raise NotFound(f"Aucun(e) {what} ne porte l'identifiant {checked.cible_ref}.")
    return {"type": cible_type, "ref": row["ref"], "nom": row["nom"], "finess": row["finess"]}


def create(conn: Conn, report: NewReport, *, client: str, limit: RateLimit, see_sensitive: bool = False,
           auteur: str = "anonyme", role: str = "public") -> dict[str, Any]:
    """Store a report (status ``nouveau``) with the first line of its history, after the rate-limit check.

    Parameters
    ----------
    conn : Conn
        A connection (the transaction is opened here, read-write).
    report : NewReport
        The report as sent; checked with :func:`check_report`.
    client : str
        The client's address (only its salted hash is stored).
    limit : RateLimit
        Reports allowed per client and window.
    see_sensitive : bool
        Whether the sender may see sensitive units (otherwise such a target is answered like an unknown one).
    auteur, role : str
        Who sends it (history).

    Returns
    -------
    dict
        ``{"id", "statut", "cible": {...}, "created_at"}``.

    Raises
    ------
    InvalidInput
        Malformed report.
    NotFound
        Unknown (or not visible) offer or establishment.
    RateLimited
        The client already sent ``limit.max_reports`` reports in the window.
    """
    report = check_report(report)
    with writing(conn):
        client_hash = conn.execute(
            "SELECT encode(sha256(convert_to(sel || %s, 'UTF8')), 'hex') AS h FROM signalement_sel", (client,)
        ).fetchone()
        digest = client_hash["h"] if client_hash else client
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('signalement:' || %s))", (digest,))
        _check_rate(conn, digest, limit)
        query = _TARGET_OFFER if report.cible_type == "offre" else _TARGET_EG
        target = conn.execute(query, {"ref": report.cible_ref, "sensitive": see_sensitive}).fetchone()
        if target is None:
            what = "offre" if report.cible_type == "offre" else "établissement"
            raise NotFound(f"Aucun(e) {what} ne porte l'identifiant {report.cible_ref}.")
        row = conn.execute(
            """
            INSERT INTO signalement (cible_type, cible_ref, cible_nom, offre_id, etablissement_id, finess_eg,
                                     categorie, description, email, client_hash)
            VALUES (%(type)s, %(ref)s, %(nom)s, %(offre_id)s, %(etablissement_id)s, %(finess)s,
                    %(categorie)s, %(description)s, %(email)s, %(hash)s)
            RETURNING id, statut, created_at
            """,
            {**target, "type": report.cible_type, "categorie": report.categorie, "description": report.description,
             "email": report.email, "hash": digest},
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO signalement_historique (signalement_id, statut, auteur, role, commentaire) "
            "VALUES (%s, 'nouveau', %s, %s, 'Signalement reçu')",
            (row["id"], auteur, role),
        )
    return {"id": row["id"], "statut": row["statut"], "created_at": row["created_at"].isoformat(),
            "cible": {"type": report.cible_type, "ref": target["ref"], "nom": target["nom"]}}


def _check_rate(conn: Conn, digest: str, limit: RateLimit) -> None:
    row = conn.execute(
        """
        SELECT count(*) AS n,
               ceil(extract(epoch FROM min(created_at) + make_interval(secs => %(w)s) - now()))::int AS wait
          FROM (SELECT created_at FROM signalement
                 WHERE client_hash = %(h)s AND created_at > now() - make_interval(secs => %(w)s)
                 ORDER BY created_at DESC LIMIT %(n)s) recent
        """,
        {"h": digest, "w": limit.window_s, "n": limit.max_reports},
    ).fetchone()
    if row is not None and row["n"] >= limit.max_reports:
        wait = max(1, int(row["wait"] or limit.window_s))
        minutes = max(1, round(wait / 60))
        raise RateLimited(
            f"Trop de signalements envoyés depuis votre poste : réessayez dans {minutes} minute"
            f"{'s' if minutes > 1 else ''}. Merci de votre aide.",
            retry_after=wait,
        )


_COLUMNS = sql.SQL("""
s.id, s.cible_type, s.cible_ref, s.cible_nom, s.finess_eg, s.categorie, s.description, s.email, s.statut,
to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
to_char(s.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated_at,
e.nom AS etablissement_nom, e.ror_id AS etablissement_ror_id
""")
_FROM = sql.SQL("FROM signalement s LEFT JOIN etablissement e ON e.finess = s.finess_eg")
_WHERE = sql.SQL("""
 WHERE (%(scope)s::text[] IS NULL OR s.finess_eg = ANY (%(scope)s))
   AND (%(statut)s::text IS NULL OR s.statut = %(statut)s)
   AND (%(finess)s::text IS NULL OR s.finess_eg = %(finess)s)
   AND (%(cible)s::text IS NULL OR s.cible_type = %(cible)s)
""")


@dataclass(frozen=True)
class ListFilter:
    """Filters of :func:`list_reports` (``None`` = any)."""

    statut: str | None = None
    finess: str | None = None
    cible_type: str | None = None
    limit: int = 100
    offset: int = 0


def list_reports(conn: Conn, scope: Collection[str] | None, filters: ListFilter | None = None) -> dict[str, Any]:
    """Return the reports visible with ``scope`` (FINESS numbers; ``None`` = all), newest first, with their total.

    Parameters
    ----------
    conn : Conn
        A connection.
    scope : Collection[str] or None
        FINESS EG numbers whose reports may be read; ``None`` for every report (administrators).
    filters : ListFilter, optional
        Status, EG, target type, page.

    Returns
    -------
    dict
        ``{"total", "limit", "offset", "results": [...]}`` (each result labelled in French).
    """
    f = filters or ListFilter()
    if f.statut is not None and f.statut not in STATUTS:
        raise InvalidInput("Statut inconnu : valeurs permises " + ", ".join(STATUTS) + ".")
    params = {"scope": None if scope is None else sorted(scope), "statut": f.statut, "finess": f.finess,
              "cible": f.cible_type, "limit": min(max(f.limit, 1), MAX_LIMIT), "offset": max(f.offset, 0)}
    total = conn.execute(sql.SQL("SELECT count(*) AS n FROM signalement s {}").format(_WHERE), params).fetchone()
    rows = conn.execute(
        sql.SQL("SELECT {} {} {} ORDER BY s.created_at DESC, s.id DESC LIMIT %(limit)s OFFSET %(offset)s")
        .format(_COLUMNS, _FROM, _WHERE),
        params,
    ).fetchall()
    return {"total": total["n"] if total else 0, "limit": params["limit"], "offset": params["offset"],
            "results": [_labelled(r) for r in rows]}


def _labelled(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "categorie_libelle": CATEGORIES.get(row["categorie"], row["categorie"]),
            "statut_libelle": STATUTS.get(row["statut"], row["statut"])}


def get_report(conn: Conn, report_id: int, scope: Collection[str] | None) -> dict[str, Any]:
    """One report with its history; NotFound when it does not exist or is outside ``scope``."""
    row = conn.execute(
        sql.SQL("SELECT {} {} WHERE s.id = %(id)s AND (%(scope)s::text[] IS NULL OR s.finess_eg = ANY (%(scope)s))")
        .format(_COLUMNS, _FROM),
        {"id": report_id, "scope": None if scope is None else sorted(scope)},
    ).fetchone()
    if row is None:
        raise NotFound(f"Aucun signalement n° {report_id} dans votre périmètre.")
    out = _labelled(row)
    out["historique"] = histories(conn, [report_id]).get(report_id, [])
    return out


def histories(conn: Conn, report_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Return the status changes of the given reports, oldest first, by report id."""
    rows = conn.execute(
        """
        SELECT signalement_id, statut_avant, statut, auteur, role, commentaire,
               to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
          FROM signalement_historique WHERE signalement_id = ANY (%s) ORDER BY signalement_id, at, id
        """,
        (report_ids,),
    ).fetchall()
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.pop("signalement_id"), []).append(r)
    return out


def change_status(conn: Conn, report_id: int, statut: str, *, scope: Collection[str] | None, auteur: str,
                  role: str, commentaire: str | None = None) -> dict[str, Any]:
    """Set the status of a report and record the change (who, when, comment). Returns the report.

    Raises
    ------
    InvalidInput
        Unknown status, same status, comment too long, or a rejection without a comment.
    NotFound
        Unknown report or outside ``scope``.
    """
    if statut not in STATUTS:
        raise InvalidInput("Statut inconnu : valeurs permises " + ", ".join(STATUTS) + ".")
    comment = clean_text(commentaire or "") or None
    if comment is not None and len(comment) > COMMENT_MAX:
        raise InvalidInput(f"Commentaire trop long (au plus {COMMENT_MAX} caractères).")
    if statut == "rejete" and comment is None:
        raise InvalidInput("Indiquez pourquoi le signalement est rejeté (commentaire).")
    with writing(conn):
        row = conn.execute(
            "SELECT statut FROM signalement s WHERE id = %(id)s "
            "AND (%(scope)s::text[] IS NULL OR s.finess_eg = ANY (%(scope)s)) FOR UPDATE",
            {"id": report_id, "scope": None if scope is None else sorted(scope)},
        ).fetchone()
        if row is None:
            raise NotFound(f"Aucun signalement n° {report_id} dans votre périmètre.")
        if row["statut"] == statut:
            raise InvalidInput(f"Le signalement est déjà au statut « {STATUTS[statut]} ».")
        conn.execute("UPDATE signalement SET statut = %s, updated_at = now() WHERE id = %s", (statut, report_id))
        conn.execute(
            "INSERT INTO signalement_historique (signalement_id, statut_avant, statut, auteur, role, commentaire) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (report_id, row["statut"], statut, auteur, role, comment),
        )
    return get_report(conn, report_id, scope)


__all__ = ["CATEGORIES", "CIBLES", "STATUTS", "ListFilter", "NewReport", "RateLimit", "RateLimited",
           "change_status", "check_report", "clean_text", "create", "get_report", "histories", "list_reports",
           "target"]
