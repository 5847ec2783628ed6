"""Parsing of FHIR search values: tokens, prefixed numbers and dates, ``near``, references.

Every function raises :class:`~gis.errors.InvalidInput` with a French message naming the parameter.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from gis.errors import InvalidInput
from gis.identifiers import system_key

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
_OPERATOR = {"eq": "=", "ne": "<>", "gt": ">", "lt": "<", "ge": ">=", "le": "<=", "sa": ">", "eb": "<"}
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
#: An identifier value: what the service publishes (``11/1234``, ``CNSA/750828758/hebergement-permanent``, FINESS,
#: logical ids), printable, without control characters, at most 200 characters.
_IDENTIFIER = re.compile(r"^[^\x00-\x1f\x7f-\x9f]{1,200}$")
_SYSTEM = re.compile(r"^[^\x00-\x20\x7f|]{0,300}$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$")
UNITS_KM = {"km": 1.0, "m": 0.001, "[mi_i]": 1.609344, "mi": 1.609344}
MAX_NEAR_KM = 200.0


def split_or(value: str) -> list[str]:
    r"""Return the comma-separated alternatives of one value (``\,`` is a literal comma)."""
    parts = re.split(r"(?<!\\),", value)
    return [p.replace("\\,", ",").strip() for p in parts if p.strip()]


def token(name: str, value: str) -> tuple[str | None, str]:
    """``(NOS key or "" for an explicit empty system or None for any, code)`` of a token value."""
    system: str | None = None
    code = value
    if "|" in value:
        system, code = value.rsplit("|", 1)
    code = code.strip()
    if not _CODE.match(code):
        raise InvalidInput(f"Paramètre « {name} » : code « {code[:40]} » mal formé.")
    if system is None:
        return None, code
    if system == "":
        return "", code
    return system_key(system) or system, code


def tokens(name: str, values: list[str]) -> list[list[tuple[str | None, str]]]:
    """One list of alternatives (OR) per occurrence of the parameter (AND)."""
    return [[token(name, v) for v in split_or(value)] for value in values]


def identifier(name: str, value: str) -> tuple[str | None, str]:
    r"""``(system or None, value)`` of an ``identifier`` token: ``[system|]value``, the value as published.

    The value may hold slashes, spaces or accents (``CNSA/750828758/hebergement-permanent``); ``\|`` is a literal
    bar. Control characters, an empty or oversized value are refused.
    """
    parts = re.split(r"(?<!\\)\|", value, maxsplit=1)
    system, code = (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    code = code.replace("\\|", "|").strip()
    if not _IDENTIFIER.match(code) or (system is not None and not _SYSTEM.match(system)):
        shown = "".join(c if c.isprintable() else "?" for c in code[:40])
        raise InvalidInput(f"Paramètre « {name} » : identifiant « {shown} » mal formé (au plus 200 caractères, "
                           "sans caractère de contrôle).")
    return system, code


def identifiers(name: str, values: list[str]) -> list[list[str]]:
    """One list of alternative identifier values (OR) per occurrence of the parameter (AND); systems ignored."""
    return [[identifier(name, v)[1] for v in split_or(value)] for value in values]


def logical_id(name: str, value: str) -> str:
    """Return a logical id, from ``id``, ``Type/id`` or an absolute reference."""
    lid = value.rstrip("/").rsplit("/", 1)[-1]
    if not _ID.match(lid):
        raise InvalidInput(f"Paramètre « {name} » : identifiant « {value[:40]} » mal formé.")
    return lid


def prefixed(name: str, value: str) -> tuple[str, str]:
    """Return (SQL operator, rest) of a value with an optional FHIR comparison prefix (default ``eq``)."""
    prefix = value[:2]
    if prefix in PREFIXES and len(value) > 2 and not value[:2].isdigit():
        if prefix not in _OPERATOR:
            raise InvalidInput(f"Paramètre « {name} » : préfixe « {prefix} » non pris en charge.")
        return _OPERATOR[prefix], value[2:]
    return "=", value


def number(name: str, value: str) -> tuple[str, float]:
    """(operator, number) of a prefixed number."""
    op, rest = prefixed(name, value)
    try:
        return op, float(rest)
    except ValueError:
        raise InvalidInput(f"Paramètre « {name} » : nombre attendu, reçu « {rest[:40]} ».") from None


def date_range(name: str, value: str) -> list[tuple[str, datetime]]:
    """Return SQL comparisons ``[(operator, instant)]`` of a prefixed FHIR date (its precision makes a range).

    ``eq2026-01`` is ``>= 2026-01-01 AND < 2026-02-01``; ``ge2026-01-05T10:00:00Z`` is one bound.
    """
    op, rest = prefixed(name, value)
    if not _DATE.match(rest):
        raise InvalidInput(f"Paramètre « {name} » : date FHIR attendue (AAAA-MM-JJ[Thh:mm:ss+zz:zz]), "
                           f"reçu « {rest[:40]} ».")
    try:
        return _comparisons(op, *_bounds(rest))
    except (ValueError, OverflowError):  # 2026-02-30, 2026-13, 25:00, +99:00, 9999-12-31T23:59:59Z + 1 s…
        raise InvalidInput(f"Paramètre « {name} » : date impossible ou hors limites « {rest[:40]} ».") from None


def _comparisons(op: str, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    if op == "=":
        return [(">=", start), ("<", end)]
    if op in (">", ">="):
        return [(op, start if op == ">=" else end - timedelta(microseconds=1))]
    if op in ("<", "<="):
        return [(op, start if op == "<" else end - timedelta(microseconds=1))]
    return [("<>", start)]


def _bounds(text: str) -> tuple[datetime, datetime]:
    if len(text) == 4:
        start = datetime(int(text), 1, 1).astimezone()
        return start, start.replace(year=start.year + 1)
    if len(text) == 7:
        y, m = int(text[:4]), int(text[5:7])
        start = datetime(y, m, 1).astimezone()
        return start, (start.replace(year=y + 1, month=1) if m == 12 else start.replace(month=m + 1))
    if len(text) == 10:
        start = datetime.fromisoformat(text).astimezone()
        return start, start + timedelta(days=1)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.astimezone()
    step = timedelta(microseconds=1) if "." in text else timedelta(seconds=1 if text.count(":") >= 2 else 60)
    return moment, moment + step


def near(name: str, value: str) -> tuple[float, float, float]:
    """(latitude, longitude, distance in km) of ``lat|lon|distance|unit`` (distance 5 km by default)."""
    parts = value.split("|")
    try:
        lat, lon = float(parts[0]), float(parts[1])
        dist = float(parts[2]) if len(parts) > 2 and parts[2] else 5.0
    except (ValueError, IndexError):
        raise InvalidInput(f"Paramètre « {name} » : « latitude|longitude|distance|unité » attendu.") from None
    return (lat, lon, _km(name, dist, parts[3] if len(parts) > 3 else "km"))


def near_insee(name: str, value: str) -> tuple[str, float]:
    """(INSEE code, distance in km) of ``code|distance|unit``."""
    parts = value.split("|")
    try:
        dist = float(parts[1]) if len(parts) > 1 and parts[1] else 5.0
    except ValueError:
        raise InvalidInput(f"Paramètre « {name} » : « code INSEE|distance|unité » attendu.") from None
    return parts[0].strip(), _km(name, dist, parts[2] if len(parts) > 2 else "km")


def _km(name: str, dist: float, unit: str) -> float:
    factor = UNITS_KM.get(unit.strip() or "km")
    if factor is None:
        raise InvalidInput(f"Paramètre « {name} » : unité « {unit[:10]} » non prise en charge (km ou m).")
    km = dist * factor
    if not 0 < km <= MAX_NEAR_KM:
        raise InvalidInput(f"Paramètre « {name} » : distance strictement positive et au plus {MAX_NEAR_KM:g} km.")
    return km


def integer(name: str, value: str, low: int, high: int) -> int:
    """Return an integer within [low, high]."""
    try:
        n = int(value)
    except ValueError:
        raise InvalidInput(f"Paramètre « {name} » : nombre entier attendu.") from None
    if not low <= n <= high:
        raise InvalidInput(f"Paramètre « {name} » : entre {low} et {high}.")
    return n


def one(name: str, values: list[str]) -> str:
    """Return the single value of a parameter that cannot be repeated."""
    if len(values) != 1:
        raise InvalidInput(f"Paramètre « {name} » : une seule valeur permise.")
    return values[0]

