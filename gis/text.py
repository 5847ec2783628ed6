"""Text normalisation shared by the loaders (stored form) and the search queries (typed form).

Accents, case, hyphens and apostrophes are dropped; ``st``/``ste`` become ``saint``/``sainte``; an
elided article is glued to its word so that "L'Haÿ", "L Hay" and "Lhay" read alike.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ELIDED = {"l", "d", "j", "qu"}


def strip_accents(text: str) -> str:
    """Remove the accents of ``text`` and expand the ligatures (``œ`` → ``oe``).

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        The text without combining marks, in NFKD form.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``."""
    words = _NON_ALNUM.sub(" ", strip_accents(text).lower()).split()
    out: list[str] = []
    pending = ""
    for word in words:
        word = _ABBREVIATIONS.get(word, word)
        if word in _ELIDED:
            pending += word
            continue
        out.append(pending + word)
        pending = ""
    if pending:
        out.append(pending)
    return out


def normalize(text: str) -> str:
    """One normalised string: ``"L'Haÿ-les-Roses"`` → ``"lhay les roses"``."""
    return " ".join(tokens(text))


def like_escape(text: str) -> str:
    """Escape LIKE wildcards in a value bound as a parameter."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
