"""French texts of the offer page (``/cartes/offre/{id}``): opening hours, home visits, last update, place,
the description of a drawn territory, and cities with arrondissements covered only in part.

Pure functions of the offer as :func:`gis.layers.offre_detail.detail` answers it (no query).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from web_map import style

_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")
#: Cities drawn by arrondissement: their code, their name and how many arrondissements they have.
CITIES = {"75056": ("Paris", 20), "69123": ("Lyon", 9), "13055": ("Marseille", 16)}
_ARR_PREFIX = {"75056": "751", "69123": "6938", "13055": "132"}
HOME_VISIT_CODE = "05"  # JDV_J226 modalité d'accueil « Visite à domicile »


def _time(value: str | None) -> str:
    if not value:
        return "?"
    hours, _, minutes = value.partition(":")
    return f"{int(hours)} h {minutes or '00'}"


def _days(days: list[int]) -> str:
    """``[1, 2, 3, 4, 5]`` → ``du lundi au vendredi``; ``[1, 3]`` → ``lundi, mercredi``."""
    days = sorted(set(days))
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"du {_DAYS[days[0] - 1]} au {_DAYS[days[-1] - 1]}"
    return ", ".join(_DAYS[d - 1] for d in days)


def hours_text(hours: list[dict[str, Any]] | None) -> str | None:
    """Opening hours in French, days with the same slots grouped: ``du lundi au vendredi : 9 h 00 – 17 h 30``.

    ``hours``: the stored rows (``jour`` 1–7, ``debut``, ``fin``, ``toute_la_journee``), from FHIR ``availableTime``.
    """
    slots: dict[tuple[str, ...], list[int]] = {}
    undated: list[str] = []
    by_day: dict[int, list[str]] = {}
    for h in hours or []:
        slot = "24 h sur 24" if h.get("toute_la_journee") else f"{_time(h.get('debut'))} – {_time(h.get('fin'))}"
        day = h.get("jour")
        if isinstance(day, int) and 1 <= day <= 7:
            by_day.setdefault(day, []).append(slot)
        else:
            undated.append(slot)
    for day, day_slots in by_day.items():
        slots.setdefault(tuple(sorted(set(day_slots))), []).append(day)
    parts = [f"{_days(days)} : {', '.join(s)}" for s, days in sorted(slots.items(), key=lambda kv: min(kv[1]))]
    parts += [f"tous les jours : {s}" for s in sorted(set(undated))]
    return " ; ".join(parts) or None


def source_name(o: dict[str, Any]) -> str:
    """Where the offer's description comes from, for « not given » wordings: « le ROR » or its other source."""
    source = ((o.get("provenance") or {}).get("offre") or {}).get("source")
    if not source or o.get("fictif") or "ROR" in str(source).upper():
        return "le ROR"
    return f"la source ({source})"


def ages_text(age_min: int | None, age_max: int | None) -> str | None:
    """``60 ans et plus``, ``jusqu'à 17 ans``, ``de 18 à 59 ans``; None without bounds."""
    if age_min is None and age_max is None:
        return None
    if age_max is None or age_max >= 120:
        return "tous âges" if not age_min else f"{age_min} ans et plus"
    if not age_min:
        return f"jusqu'à {age_max} ans"
    return f"de {age_min} à {age_max} ans"


def home_visits_text(o: dict[str, Any], family: str) -> str:
    """Whether the offer visits people at home: the modalité d'accueil « Visite à domicile », or a home service."""
    if any(m.get("code") == HOME_VISIT_CODE for m in o.get("modalites_accueil") or []):
        return "Oui (modalité d'accueil « Visite à domicile »)"
    if family == "domicile":
        return "Oui : service qui intervient au domicile"
    return f"Non déclarées dans {source_name(o)}"


def date_text(iso: str | None) -> str | None:
    """``2026-11-12T08:00:00+00:00`` → ``12 novembre 2026``."""
    if not iso:
        return None
    try:
        d = datetime.fromisoformat(str(iso))
    except ValueError:
        return None
    return f"{'1er' if d.day == 1 else d.day} {_MONTHS[d.month - 1]} {d.year}"


def place_text(lieu: dict[str, Any] | None) -> str | None:
    """Name and address of the place where the offer is delivered."""
    if not lieu:
        return None
    return " – ".join(str(x) for x in (lieu.get("nom"), lieu.get("adresse")) if x) or None


def _arr_label(c: dict[str, Any]) -> str:
    n = int(c["insee"][-2:])
    return "1er" if n == 1 else f"{n}e"


def partial_cities(communes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Cities drawn by arrondissement that the offer covers only in part: ``{city code: its covered
    arrondissements}`` (a city is whole only when every one of its arrondissements is covered in full)."""
    out = {}
    for city, prefix in _ARR_PREFIX.items():
        arrs = [c for c in communes if c["insee"].startswith(prefix) and c.get("type") == "arrondissement-municipal"]
        whole = [c for c in arrs if not c.get("partielle")]
        if arrs and len(whole) < CITIES[city][1]:
            out[city] = arrs
    return out


def covered_rows(communes: list[dict[str, Any]], partial: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The communes table's rows: a city covered in part says so and names its covered arrondissements."""
    rows = []
    for c in communes:
        row = dict(c)
        if c["insee"] in partial:
            arrs = ", ".join(_arr_label(a) + (" (en partie)" if a.get("partielle") else "")
                             for a in partial[c["insee"]])
            row["nom"] = f"{CITIES[c['insee']][0]} (en partie : arrondissements {arrs})"
            row["partielle"] = True
        rows.append(row)
    return rows


def polygon_text(o: dict[str, Any]) -> str | None:
    """The drawn territory described: ``Zone d'intervention dessinée (polygone), couvrant 2 communes``; None when
    the offer's territory is not a polygon. A commune counts when the polygon covers enough of it (see
    :data:`gis.territories.coverage.MOTIF_LABELS`); a city with arrondissements counts by arrondissement."""
    if not any(f["properties"].get("niveau") == "polygone" for f in o["territoire"]["features"]):
        return None
    n = len({c["insee"] for c in o["communes_couvertes"] if c["insee"] not in CITIES})
    return (f"Zone d'intervention dessinée (polygone), couvrant {style.fr_number(n)} "
            f"commune{'s' if n > 1 else ''} ou arrondissement{'s' if n > 1 else ''}")
