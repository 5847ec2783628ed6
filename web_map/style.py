"""Santégraphie-like visual identity: palette, offer families, choropleth ramps, French numbers.

Each *famille d'offre* has a stable colour AND its own marker shape and letter, so that no
information is carried by colour alone (RGAA 3.1 / WCAG 1.4.1). The family of a ROR offer comes
from its type d'offre (JDV_J238) code, or failing that from the FINESS category of its
establishment (JDV_J55 / TRE_R66, via the BI "couloir").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

# --- Institutional palette --------------------------------------------------------------------
INK = "#1E2A38"  # text
MUTED = "#5B6770"  # secondary text, source line
PRIMARY = "#00558C"  # ARS-like institutional blue (titles, focus, outlines)
BORDER = "#C9D1D9"
BACKGROUND = "#F4F6F8"  # plain background of the map when there is no basemap
COMMUNE_OUTLINE = "#00558C"
COMMUNE_FILL = "#00558C"
DEPARTEMENT_OUTLINE = "#4A4A4A"

# "Zones blanches": value 0 (hatched) and no data (plain grey).
ZERO_FILL = "url(#rg-hatch)"
ZERO_SWATCH = "repeating-linear-gradient(45deg,#9AA5AE 0 2px,#F2F4F6 2px 6px)"
NO_DATA_FILL = "#D9DDE1"
NO_DATA_OUTLINE = "#8A949C"  # thin outline of the communes without a value (spreadsheet maps)

# Sequential ramp (light → dark blue, from ColorBrewer "Blues", colour-blind and print safe). The lightest class
# keeps a contrast of 1.8:1 with the map background (#F4F6F8) and the hatched zones blanches: the Blues 7 ramp
# started at #EFF3FF, which could not be told from the background (issue #10).
_BLUES = ["#8BBFDD", "#6BAED6", "#4292C6", "#2171B5", "#08519C", "#084594", "#08306B"]


@dataclass(frozen=True)
class Family:
    """One famille d'offre: key, French label, colour, marker shape and letter."""

    key: str
    label: str
    color: str
    shape: str  # circle, square, diamond, triangle, hexagon, pentagon, cross, octagon
    letter: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


FAMILIES: dict[str, Family] = {
    f.key: f
    for f in (
        Family("personnes_agees", "Personnes âgées", "#0072B2", "circle", "A"),
        Family("handicap", "Handicap", "#6A3D9A", "square", "H"),
        Family("domicile", "Domicile (SAD/SSIAD)", "#1B7F5A", "diamond", "D"),
        Family("sante_mentale", "Santé mentale", "#C2410C", "triangle", "M"),
        Family("addictions_precarite", "Addictions et précarité", "#8C6D00", "hexagon", "P"),
        Family("coordination", "Coordination (DAC)", "#00838F", "pentagon", "C"),
        Family("sanitaire", "Sanitaire", "#B2182B", "cross", "S"),
        Family("autre", "Autre", "#5F6B73", "octagon", "X"),
    )
}


def _codes(*items: int | range) -> frozenset[str]:
    out: set[str] = set()
    for item in items:
        for n in item if isinstance(item, range) else (item,):
            out.add(str(n))
            out.add(f"{n:02d}")
    return frozenset(out)


# JDV_J238 type d'offre codes by family (see ror-model.md §5). Anything not listed is "autre".
_TYPE_OFFRE: dict[str, frozenset[str]] = {
    "personnes_agees": _codes(range(21, 28), 35, 38, 136, 259),
    "domicile": _codes(28, 29, 30, 33, 34, 75, 132, 284, 320),
    "handicap": _codes(31, 32, 37, 39, 40, 41, range(43, 68), 85, 96, 97, 140, 143, 177, 256, 257, 276, 299, 315),
    "sante_mentale": _codes(range(1, 20), 68, 70, 71, 76, 77, 78, 113, 114, 119, 120, 127, 134, 144, 174,
                            range(279, 284), 296, 301, 302, 306),
    "addictions_precarite": _codes(80, 81, 86, 93, 94, 95, 115, 142, 272, 291, 295),
    "coordination": _codes(72, 73, 84, 178, 255),
    "sanitaire": _codes(20, 69, 82, 83, 87, 89, 90, 91, 92, 99, range(100, 113), 117, range(121, 132), 138, 139,
                        range(145, 174), range(175, 177), range(179, 255), range(262, 279), range(285, 291),
                        292, 293, 294, range(303, 306), range(307, 320)),
}

# JDV_J55 / TRE_R66 FINESS categories (couloir BI) by family.
_CATEGORIE_EG: dict[str, frozenset[str]] = {
    "personnes_agees": frozenset({"202", "207", "381", "500", "501", "502"}),
    "domicile": frozenset({"209", "354", "460"}),
    "handicap": frozenset({"182", "183", "186", "188", "189", "190", "192", "194", "195", "196", "198", "221",
                           "238", "246", "249", "252", "253", "255", "370", "377", "379", "382", "390", "395",
                           "396", "402", "437", "445", "446", "448", "449"}),
    "sante_mentale": frozenset({"156", "161", "292", "366", "412", "415", "425", "430", "444"}),
    "addictions_precarite": frozenset({"165", "178", "180", "197", "213", "608"}),
    "coordination": frozenset({"604", "606"}),
    "sanitaire": frozenset({"101", "106", "109", "114", "122", "127", "128", "129", "131", "141", "146", "166",
                            "355", "362", "365", "696", "697", "698"}),
}


def family_for_type_offre(code: str | int | None) -> Family:
    """The family of a JDV_J238 type d'offre code (``"25"``, ``25`` or ``"025"``); ``autre`` if unknown."""
    if code is None:
        return FAMILIES["autre"]
    text = str(code).strip().lstrip("0") or "0"
    for key, codes in _TYPE_OFFRE.items():
        if text in codes:
            return FAMILIES[key]
    return FAMILIES["autre"]


def family_for_categorie_eg(code: str | int | None) -> Family:
    """The family of a FINESS / EG category (JDV_J55, e.g. ``500`` EHPAD, ``606`` DAC)."""
    text = str(code or "").strip().upper()
    for key, codes in _CATEGORIE_EG.items():
        if text in codes:
            return FAMILIES[key]
    return FAMILIES["autre"]


def family_for(type_offre: str | int | None = None, categorie_eg: str | int | None = None) -> Family:
    """Type d'offre first, then the establishment category."""
    fam = family_for_type_offre(type_offre)
    if fam.key == "autre" and categorie_eg is not None:
        return family_for_categorie_eg(categorie_eg)
    return fam


# --- Marker shapes (24×24 SVG) ----------------------------------------------------------------
_SHAPES = {
    "circle": '<circle cx="12" cy="12" r="10"/>',
    "square": '<rect x="2.5" y="2.5" width="19" height="19" rx="2"/>',
    "diamond": '<path d="M12 1 23 12 12 23 1 12Z"/>',
    "triangle": '<path d="M12 1.5 23 22H1Z"/>',
    "hexagon": '<path d="M6.5 2.5h11L23 12l-5.5 9.5h-11L1 12Z"/>',
    "pentagon": '<path d="M12 1.5 22.5 9 18.5 22h-13L1.5 9Z"/>',
    "cross": '<path d="M8 1.5h8v6.5h6.5v8H16v6.5H8V16H1.5V8H8Z"/>',
    "octagon": '<path d="M7.5 1.5h9l5 5v9l-5 5h-9l-5-5v-9Z"/>',
}


def marker_svg(family: Family | str, size: int = 24) -> str:
    """Inline SVG of a family's marker (shape + white letter), for legends and Python-built icons."""
    fam = FAMILIES[family] if isinstance(family, str) else family
    y = 15.5 if fam.shape == "triangle" else 16
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="{size}" height="{size}" '
        f'aria-hidden="true" focusable="false"><g fill="{fam.color}" stroke="#fff" stroke-width="1.5">'
        f'{_SHAPES[fam.shape]}</g><text x="12" y="{y}" text-anchor="middle" font-size="11" '
        f'font-family="Marianne,Arial,sans-serif" font-weight="700" fill="#fff">{fam.letter}</text></svg>'
    )


def families_js() -> dict[str, dict[str, str]]:
    """The families with their SVG shape, for the page's JavaScript (``RorMap.families``)."""
    return {k: {**f.as_dict(), "svg": _SHAPES[f.shape]} for k, f in FAMILIES.items()}


def _ranges(codes: frozenset[str]) -> str:
    """Numeric codes as compact ranges: ``"21-27,35,38"``."""
    numbers = sorted({int(c) for c in codes if c.isdigit()})
    parts: list[str] = []
    start = prev = None
    for n in [*numbers, None]:
        if n is not None and prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = n
    return ",".join(parts)


def families_catalog() -> dict[str, object]:
    """What a page's script needs to give an offer its family: the families in legend order, and the
    type d'offre codes (as ranges) and FINESS categories of each family (``family_for`` in the browser)."""
    return {
        "order": list(FAMILIES),
        "labels": {k: f.label for k, f in FAMILIES.items()},
        "type_offre": {key: _ranges(codes) for key, codes in _TYPE_OFFRE.items()},
        "categorie": {key: sorted(codes) for key, codes in _CATEGORIE_EG.items()},
    }


# --- Choropleth -------------------------------------------------------------------------------
def sequential_ramp(k: int) -> list[str]:
    """``k`` colours (1 ≤ k ≤ 7) from light to dark, spread over the ramp."""
    k = max(1, min(int(k), len(_BLUES)))
    if k == 1:
        return [_BLUES[3]]
    span = len(_BLUES) - 1
    return [_BLUES[round(i * span / (k - 1))] for i in range(k)]


def fr_number(value: float | int | None, decimals: int | None = None) -> str:
    """French number format: ``1 234,5`` (narrow no-break space, decimal comma); ``—`` for None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if decimals is None:
        decimals = 0 if float(value).is_integer() else (2 if abs(value) < 1000 else 1)
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",").replace("-", "\u2212")
