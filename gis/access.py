"""Who is asking, and what they may see or change: roles, principals, visibility (pure functions, no I/O).

A request is made by a :class:`Principal`: the anonymous public, or a person or system authenticated by an API token
or an OpenID Connect JWT. Its :class:`Role` and scope decide

- what it **sees** (:func:`visibility`): the highest confidentiality level of the contacts shown (JDV_J222 / TRE_R283:
  1 accès libre, 2 accès restreint, 3 accès très restreint) and whether sensitive units are shown. The read layers
  take a :class:`Visibility` and apply it in their SQL; the public visibility reads the precomputed public documents;
- what it may **change** (:func:`can_edit_etablissement`): a référent edits the offers of the EGs (FINESS ET numbers)
  of its scope, an administrator everything.

Every decision fails closed: an unknown role is the public, an unknown confidentiality level is "très restreint", an
unclear sensitive-unit flag is "sensitive" (see :func:`parse_role`, :func:`parse_level`, :func:`parse_flag`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from gis.errors import Forbidden, NotAuthenticated

__all__ = ["ANONYMOUS", "PUBLIC_VISIBILITY", "Confidentialite", "Principal", "Role", "Visibility",
           "can_edit_etablissement", "can_manage", "check_can_edit_etablissement", "check_role",
           "max_confidentialite", "parse_flag", "parse_level", "parse_role", "sees_sensitive_units", "visibility"]


class Role(StrEnum):
    """Roles, from the least to the most trusted."""

    PUBLIC = "public"
    PROFESSIONNEL = "professionnel"
    REFERENT = "referent"
    ADMINISTRATEUR = "administrateur"

    @property
    def label(self) -> str:
        """French label, for pages."""
        return _ROLE_LABELS[self]


_ROLE_LABELS = {Role.PUBLIC: "Public", Role.PROFESSIONNEL: "Professionnel", Role.REFERENT: "Référent",
                Role.ADMINISTRATEUR: "Administrateur"}


class Confidentialite(IntEnum):
    """Confidentiality level of a contact (JDV_J222-NiveauConfidentialite-ROR, codes of TRE_R283)."""

    ACCES_LIBRE = 1
    ACCES_RESTREINT = 2
    ACCES_TRES_RESTREINT = 3


@dataclass(frozen=True, slots=True)
class Principal:
    """The one who makes a request.

    Attributes
    ----------
    role : Role
        What it may do.
    subject : str or None
        Stable identifier for audit trails: ``"jeton:12"`` (API token id), ``"oidc:<sub>"``; None when anonymous.
    etablissements : frozenset of str
        Scope: FINESS ET numbers of the EGs a référent edits (empty for other roles).
    habilite_sensible : bool
        Authorised to see sensitive units (professionnel, référent; administrators always are).
    nom : str or None
        Display name (token name, OIDC name), for pages and audit trails.
    source : str
        ``"anonyme"``, ``"jeton"`` or ``"oidc"``.
    """

    role: Role = Role.PUBLIC
    subject: str | None = None
    etablissements: frozenset[str] = field(default_factory=frozenset)
    habilite_sensible: bool = False
    nom: str | None = None
    source: str = "anonyme"

    @property
    def authenticated(self) -> bool:
        """True unless anonymous."""
        return self.subject is not None

    @property
    def is_admin(self) -> bool:
        """True for an administrator."""
        return self.role is Role.ADMINISTRATEUR


#: The anonymous public.
ANONYMOUS = Principal()


@dataclass(frozen=True, slots=True)
class Visibility:
    """What a read query may return: contacts up to ``max_level``, sensitive units when ``sensitive``.

    ``key`` names the visibility for cache keys: two principals with the same visibility see the same answers.
    """

    max_level: Confidentialite = Confidentialite.ACCES_LIBRE
    sensitive: bool = False

    @property
    def public(self) -> bool:
        """True for exactly what the anonymous public sees (answers may be shared and cached)."""
        return self == PUBLIC_VISIBILITY

    @property
    def key(self) -> str:
        """Short stable name, e.g. ``"c1"``, ``"c2s"``."""
        return f"c{int(self.max_level)}{'s' if self.sensitive else ''}"

    @property
    def levels(self) -> list[str]:
        """Confidentiality codes shown (as stored in the contacts: ``"1"``, ``"2"``...)."""
        return [str(level.value) for level in Confidentialite if level <= self.max_level]


#: What the public sees.
PUBLIC_VISIBILITY = Visibility()


def parse_role(value: Any) -> Role:
    """Return the role named ``value``; anything else (unknown, malformed, None) is the public (fail closed).

    >>> parse_role("referent"), parse_role("Administrateur "), parse_role("root")
    (<Role.REFERENT: 'referent'>, <Role.ADMINISTRATEUR: 'administrateur'>, <Role.PUBLIC: 'public'>)
    """
    if isinstance(value, str):
        try:
            return Role(value.strip().lower())
        except ValueError:
            return Role.PUBLIC
    return Role.PUBLIC


def parse_level(value: Any) -> Confidentialite:
    """Return the confidentiality level ``value``; unknown or malformed is "accès très restreint" (fail closed).

    >>> parse_level("1"), parse_level(2), parse_level("9"), parse_level(None)  # doctest: +NORMALIZE_WHITESPACE
    (<Confidentialite.ACCES_LIBRE: 1>, <Confidentialite.ACCES_RESTREINT: 2>,
     <Confidentialite.ACCES_TRES_RESTREINT: 3>, <Confidentialite.ACCES_TRES_RESTREINT: 3>)
    """
    if isinstance(value, bool):
        return Confidentialite.ACCES_TRES_RESTREINT
    try:
        return Confidentialite(int(str(value).strip()))
    except ValueError:
        return Confidentialite.ACCES_TRES_RESTREINT


def parse_flag(value: Any) -> bool:
    """Return an access-control flag (e.g. habilitation, sensitive unit) read as *restrictive unless clearly so*.

    Used for a flag that *grants* access (habilitation): only a clear true grants it.

    >>> parse_flag(True), parse_flag("true"), parse_flag("oui"), parse_flag(1), parse_flag("x"), parse_flag(None)
    (True, True, True, True, False, False)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in ("true", "oui", "1", "vrai", "yes")
    return False


def max_confidentialite(principal: Principal) -> Confidentialite:
    """Highest confidentiality level of the contacts ``principal`` sees.

    Public: accès libre; professionnel and référent: accès restreint; administrateur: accès très restreint.
    """
    if principal.role is Role.ADMINISTRATEUR:
        return Confidentialite.ACCES_TRES_RESTREINT
    if principal.role in (Role.PROFESSIONNEL, Role.REFERENT):
        return Confidentialite.ACCES_RESTREINT
    return Confidentialite.ACCES_LIBRE


def sees_sensitive_units(principal: Principal) -> bool:
    """Return True when ``principal`` sees sensitive units: administrators, habilitated professionals, référents."""
    if principal.role is Role.ADMINISTRATEUR:
        return True
    return principal.role in (Role.PROFESSIONNEL, Role.REFERENT) and principal.habilite_sensible is True


def visibility(principal: Principal) -> Visibility:
    """Return the :class:`Visibility` of ``principal``'s read queries."""
    return Visibility(max_confidentialite(principal), sees_sensitive_units(principal))


def can_edit_etablissement(principal: Principal, finess: str | None) -> bool:
    """Return True when ``principal`` may change the offers (zones, reports) of the EG with FINESS ET ``finess``.

    Administrators: any EG; référents: the EGs of their scope; everyone else: none. An EG without a FINESS number
    is editable by administrators only.
    """
    if principal.role is Role.ADMINISTRATEUR:
        return True
    return principal.role is Role.REFERENT and finess is not None and finess in principal.etablissements


def can_manage(principal: Principal) -> bool:
    """Return True when ``principal`` administers the service (tokens, every EG, every report)."""
    return principal.role is Role.ADMINISTRATEUR


def check_role(principal: Principal, *roles: Role) -> None:
    """Raise unless ``principal`` has one of ``roles`` (administrators always pass).

    Raises
    ------
    NotAuthenticated
        When anonymous (401).
    Forbidden
        When authenticated with another role (403).
    """
    if principal.role is Role.ADMINISTRATEUR or principal.role in roles:
        return
    if not principal.authenticated:
        raise NotAuthenticated("Authentification requise : connectez-vous ou présentez un jeton d'accès.")
    wanted = ", ".join(r.label.lower() for r in roles) or "administrateur"
    raise Forbidden(f"Accès refusé : rôle {wanted} requis (votre rôle : {principal.role.label.lower()}).")


def check_can_edit_etablissement(principal: Principal, finess: str | None) -> None:
    """Raise unless :func:`can_edit_etablissement`.

    Raises
    ------
    NotAuthenticated
        When anonymous (401).
    Forbidden
        When the EG is outside ``principal``'s scope (403).
    """
    if can_edit_etablissement(principal, finess):
        return
    if not principal.authenticated:
        raise NotAuthenticated("Authentification requise : connectez-vous ou présentez un jeton d'accès.")
    raise Forbidden("Accès refusé : cet établissement n'est pas dans votre périmètre.")
