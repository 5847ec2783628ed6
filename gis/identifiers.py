"""Identifier rules shared by the importers and the API (one rule per identifier).

FINESS
------
A FINESS number (établissement ET or entité juridique EJ) has 9 characters: the 2-character
département of registration followed by 7 digits (the last one is a check key, not verified here:
historical extracts carry numbers whose key does not match). The département part is two digits
(``01``…``95``, ``97`` overseas, ``99`` abroad) or ``2A`` / ``2B`` (Corsica). The letter codes
``9A``…``9F`` of the FINESS *département field* (Guadeloupe…Mayotte) are never the start of a
FINESS *number*: overseas numbers start with ``97`` (``970100013``). So ``9D0000001`` is refused
everywhere — by the importers (row rejected) and by the API (422).

INSEE (COG) commune code
------------------------
Five characters: five digits, or ``2A`` / ``2B`` and three digits (Corsica).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

#: Regular expression of a FINESS number (anchored), usable as a FastAPI ``pattern``.
FINESS_PATTERN = r"^(?:[0-9]{2}|2[AB])[0-9]{7}$"
FINESS_RE = re.compile(FINESS_PATTERN)
#: Regular expression of an INSEE commune code (anchored, upper case).
INSEE_PATTERN = r"^(?:[0-9]{5}|2[AB][0-9]{3})$"
INSEE_RE = re.compile(INSEE_PATTERN)


# NOS code systems: ".../TRE_R211-ActiviteOperationnelle/FHIR/..." or ".../JDV_J17-..." -> "R211" / "J17".
_SYSTEM_KEY = re.compile(r"(?:TRE|JDV|ASS)[-_]([A-Z]\d+)", re.IGNORECASE)


def system_key(system: Any) -> str | None:
    """Return the NOS key of a code system URL (``.../TRE_R211-ActiviteOperationnelle/FHIR/...`` -> ``R211``)."""
    if not isinstance(system, str):
        return None
    return _system_key(system)


@lru_cache(maxsize=4096)
def _system_key(system: str) -> str | None:
    """Key of one URL (cached: an import meets the same few hundred systems millions of times)."""
    m = _SYSTEM_KEY.search(system)
    return m.group(1).upper() if m else None


def is_finess(value: Any) -> bool:
    """Whether ``value`` is a well-formed FINESS number (see the module docstring).

    Parameters
    ----------
    value
        Anything; only a ``str`` can be a FINESS number (upper case, no spaces).

    Returns
    -------
    bool
        True for ``"930000001"``, ``"2A0002622"``; False for ``"9D0000001"``, ``"93000001"``.

    Examples
    --------
    >>> is_finess("750712184"), is_finess("2B0005722"), is_finess("9D0000001")
    (True, True, False)
    """
    return isinstance(value, str) and FINESS_RE.match(value) is not None


__all__ = ["FINESS_PATTERN", "FINESS_RE", "INSEE_PATTERN", "INSEE_RE", "is_finess", "system_key"]
