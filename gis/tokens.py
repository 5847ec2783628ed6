"""API tokens and page sessions (migration 009): created, listed, revoked, and resolved to a :class:`Principal`.

A token reads ``rgt_<prefix>_<secret>``: 10 hexadecimal characters found by an index, then 43 characters of
``secrets.token_urlsafe(32)`` (256 random bits). Only the SHA-256 of the whole token is stored; it is shown once, at
creation. A token is resolved on every request (no cache of its validity), so a revoked or expired token is refused at
once. A page session (cookie) belongs to a token and dies with it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gis.access import Principal, Role, parse_flag, parse_role
from gis.db import Conn
from gis.errors import InvalidInput, NotFound
from gis.identifiers import FINESS_RE

__all__ = ["SessionInfo", "TokenInfo", "create_session", "create_token", "delete_session", "expiry_of",
           "list_tokens", "looks_like_api_token", "looks_like_jwt", "principal_for_token", "revoke_token",
           "session"]

_TOKEN_RE = re.compile(r"^rgt_([0-9a-f]{10})_([A-Za-z0-9_-]{43})$")
_JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_PARIS = ZoneInfo("Europe/Paris")
DEFAULT_DAYS = 365
MAX_DAYS = 3 * 365
_TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most once a minute per token


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def looks_like_api_token(value: str) -> bool:
    """Return True when ``value`` has the form of an API token (``rgt_…``)."""
    return _TOKEN_RE.match(value) is not None


def looks_like_jwt(value: str) -> bool:
    """Return True when ``value`` has the form of a JWT (three base64url parts)."""
    return _JWT_RE.match(value) is not None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed (never its secret)."""

    id: int
    prefix: str
    nom: str | None
    role: str
    etablissements: list[str]
    habilite_sensible: bool
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def etat(self) -> str:
        """``actif``, ``expiré`` or ``révoqué``."""
        if self.revoked_at is not None:
            return "révoqué"
        if self.expires_at <= datetime.now(UTC):
            return "expiré"
        return "actif"


def expiry_of(value: str | None, *, now: datetime | None = None) -> datetime:
    """Return the expiry instant of ``--expire``: a date (valid through that day, Paris time) or an ISO date-time.

    Raises
    ------
    InvalidInput
        For an unreadable value, a past instant, or more than three years ahead.
    """
    now = now or datetime.now(UTC)
    if value is None:
        return now + timedelta(days=DEFAULT_DAYS)
    try:
        if len(value.strip()) == 10:
            day = date.fromisoformat(value.strip())
            instant = datetime.combine(day + timedelta(days=1), time(0), tzinfo=_PARIS)
        else:
            instant = datetime.fromisoformat(value.strip())
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=_PARIS)
    except ValueError as exc:
        raise InvalidInput(f"Date d'expiration illisible : {value!r} (AAAA-MM-JJ attendu).") from exc
    if instant <= now:
        raise InvalidInput("Date d'expiration déjà passée.")
    if instant > now + timedelta(days=MAX_DAYS):
        raise InvalidInput(f"Date d'expiration trop lointaine (au plus {MAX_DAYS} jours).")
    return instant


def _check_scope(role: Role, etablissements: Iterable[str]) -> list[str]:
    scope = sorted({e.strip().upper() for e in etablissements if e.strip()})
    bad = [e for e in scope if not FINESS_RE.match(e)]
    if bad:
        raise InvalidInput(f"Numéro(s) FINESS mal formé(s) : {', '.join(bad[:5])}.")
    if scope and role is not Role.REFERENT:
        raise InvalidInput("Seul un référent a un périmètre d'établissements (--etablissement).")
    if role is Role.REFERENT and not scope:
        raise InvalidInput("Un référent a besoin d'au moins un établissement (--etablissement FINESS).")
    return scope


def create_token(conn: Conn, *, role: str, etablissements: Iterable[str] = (), expire: str | None = None,
                 nom: str | None = None, habilite_sensible: bool = False) -> tuple[int, str]:
    """Create a token; return its id and the token itself (to be shown once; only its hash is kept).

    Parameters
    ----------
    conn : Conn
        A writable connection (the caller commits).
    role : str
        ``professionnel``, ``referent`` or ``administrateur`` (``public`` tokens are pointless and refused).
    etablissements : iterable of str
        FINESS ET numbers of a référent's scope.
    expire : str or None
        See :func:`expiry_of`.
    nom : str or None
        Who or what the token is for.
    habilite_sensible : bool
        Authorised to see sensitive units.

    Returns
    -------
    tuple of (int, str)
        The token's id and its secret value.

    Raises
    ------
    InvalidInput
        For an unknown role, a malformed FINESS number, a scope on a non-référent, a bad expiry.
    """
    parsed = parse_role(role)
    if parsed is Role.PUBLIC or parsed.value != role.strip().lower():
        raise InvalidInput(f"Rôle inconnu : {role!r} (professionnel, referent ou administrateur).")
    scope = _check_scope(parsed, etablissements)
    expires_at = expiry_of(expire)
    prefix = secrets.token_hex(5)
    token = f"rgt_{prefix}_{secrets.token_urlsafe(32)}"
    row = conn.execute(
        "INSERT INTO api_token (prefix, hash, nom, role, etablissements, habilite_sensible, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (prefix, _sha256(token), (nom or "").strip()[:200] or None, parsed.value, scope, habilite_sensible,
         expires_at),
    ).fetchone()
    assert row is not None
    return int(row["id"]), token


def list_tokens(conn: Conn) -> list[TokenInfo]:
    """Every token, newest first (without secret or hash)."""
    rows = conn.execute(
        "SELECT id, prefix, nom, role, etablissements, habilite_sensible, created_at, expires_at, revoked_at,"
        " last_used_at FROM api_token ORDER BY id DESC"
    ).fetchall()
    return [TokenInfo(**r) for r in rows]


def revoke_token(conn: Conn, token_id: int) -> bool:
    """Revoke a token and close its page sessions. Returns False when it was already revoked.

    Raises
    ------
    NotFound
        For an unknown id.
    """
    row = conn.execute("SELECT revoked_at FROM api_token WHERE id = %s FOR UPDATE", (token_id,)).fetchone()
    if row is None:
        raise NotFound(f"Jeton {token_id} inconnu.")
    conn.execute("DELETE FROM web_session WHERE token_id = %s", (token_id,))
    if row["revoked_at"] is not None:
        return False
    conn.execute("UPDATE api_token SET revoked_at = now() WHERE id = %s", (token_id,))
    return True


def _principal(row: dict[str, Any]) -> Principal:
    role = parse_role(row["role"])  # fail closed: an unknown role is the public
    return Principal(
        role=role,
        subject=f"jeton:{row['id']}",
        etablissements=frozenset(row["etablissements"] or ()) if role is Role.REFERENT else frozenset(),
        habilite_sensible=parse_flag(row["habilite_sensible"]),
        nom=row["nom"],
        source="jeton",
    )


def _touch(conn: Conn, token_id: int) -> None:
    # The API's connections are read-only by default: this one short write opens its own transaction.
    with conn.transaction():
        conn.execute("SET TRANSACTION READ WRITE")
        conn.execute("UPDATE api_token SET last_used_at = now() WHERE id = %s", (token_id,))


def principal_for_token(conn: Conn, token: str) -> Principal | None:
    """Return the principal of a valid token; None when unknown, wrong, revoked or expired (read now, never cached)."""
    match = _TOKEN_RE.match(token)
    if match is None:
        return None
    row = conn.execute(
        "SELECT t.*, t.last_used_at IS NULL OR t.last_used_at < now() - %s AS stale FROM api_token t"
        " WHERE t.prefix = %s AND t.revoked_at IS NULL AND t.expires_at > now()",
        (_TOUCH_EVERY, match.group(1)),
    ).fetchone()
    if row is None or not hmac.compare_digest(row["hash"], _sha256(token)):
        return None
    if row["stale"]:
        _touch(conn, row["id"])
    return _principal(row)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A live page session: its principal and the synchronizer token of its forms."""

    principal: Principal
    csrf: str
    token_id: int


def create_session(conn: Conn, token: str, *, hours: float) -> tuple[str, SessionInfo] | None:
    """Open a page session for a valid token; return the cookie value and the session (None: token refused).

    The session ends after ``hours`` or with its token, whichever comes first. Needs a writable connection.
    """
    principal = principal_for_token(conn, token)
    if principal is None:
        return None
    token_id = int(principal.subject.split(":")[1]) if principal.subject else 0
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO web_session (id_hash, token_id, csrf, expires_at)"
        " SELECT %s, t.id, %s, least(t.expires_at, now() + %s) FROM api_token t WHERE t.id = %s",
        (_sha256(cookie), csrf, timedelta(hours=hours), token_id),
    )
    conn.execute("DELETE FROM web_session WHERE expires_at <= now()")
    return cookie, SessionInfo(principal, csrf, token_id)


def session(conn: Conn, cookie: str) -> SessionInfo | None:
    """Return the live session of a cookie (its token still valid); None otherwise."""
    if not cookie or len(cookie) > 200:
        return None
    row = conn.execute(
        "SELECT t.*, s.csrf FROM web_session s JOIN api_token t ON t.id = s.token_id"
        " WHERE s.id_hash = %s AND s.expires_at > now() AND t.revoked_at IS NULL AND t.expires_at > now()",
        (_sha256(cookie),),
    ).fetchone()
    if row is None:
        return None
    return SessionInfo(_principal(row), row["csrf"], int(row["id"]))


def delete_session(conn: Conn, cookie: str) -> None:
    """Close the session of a cookie (logout). Needs a writable connection."""
    conn.execute("DELETE FROM web_session WHERE id_hash = %s", (_sha256(cookie),))
