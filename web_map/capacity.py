"""French texts of capacities and availability (*Disponibilités*) for popups and tables (pure functions).

A figure is always shown with its date and source; a fictitious availability (demo data) says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from web_map import style

PARIS = ZoneInfo("Europe/Paris")
_NATURE = {"lit": ("lit", "lits"), "place": ("place", "places")}


def parse_instant(value: Any) -> datetime | None:
    """Return an aware datetime from an ISO text or a datetime (None when missing or unreadable)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def fr_date(value: Any) -> str:
    """``08/07/2024`` ('' when unknown)."""
    moment = parse_instant(value)
    return moment.strftime("%d/%m/%Y") if moment else ""


def installed_text(o: dict[str, Any]) -> str | None:
    """``84 places (au 01/01/2021, Annuaire CNSA, ≈ 2021)``; None without a figure."""
    n = o.get("capacite")
    if n is None:
        return None
    one, many = _NATURE.get(o.get("capacite_type") or "", ("place ou lit", "places ou lits"))
    prov = (o.get("provenance") or {}).get("capacite") or {}
    source = ", ".join(str(v) for v in (prov.get("source"), prov.get("millesime")) if v)
    when = fr_date(o.get("capacite_maj"))
    notes = ", ".join(x for x in (f"au {when}" if when else "", source) if x)
    return f"{style.fr_number(n)} {one if n == 1 else many}" + (f" ({notes})" if notes else "")


def available_text(o: dict[str, Any]) -> str | None:
    """``3 places disponibles au 08/07/2024 à 18:15 (donnée fictive)``; None without a figure.

    Always dated, never relative to now: the widgets embedding it are cached; the freshness (*il y a 3 h*,
    *périmé*) is shown by the availability page, computed when it is displayed.
    """
    n = o.get("capacite_disponible")
    if n is None:
        return None
    moment = parse_instant(o.get("capacite_disponible_maj"))
    when = f" au {moment.astimezone(PARIS).strftime('%d/%m/%Y à %H:%M')}" if moment else " (date inconnue)"
    fictive = " (donnée fictive)" if o.get("disponibilite_fictive") else ""
    places = "place disponible" if n == 1 else "places disponibles"
    return f"{style.fr_number(n)} {places}{when}{fictive}"


def details(o: dict[str, Any]) -> list[tuple[str, str]]:
    """Popup lines of an offer's capacities (none when it has no figure)."""
    rows = [("Capacité installée", installed_text(o)), ("Disponibilités", available_text(o))]
    return [(k, v) for k, v in rows if v]


def source_text(o: dict[str, Any]) -> str | None:
    """Where the offer comes from (``Annuaire CNSA, ≈ 2021``, ``ROR, 2025-03-01``); None when not recorded."""
    prov = (o.get("provenance") or {}).get("offre") or {}
    return ", ".join(str(v) for v in (prov.get("source"), prov.get("millesime")) if v) or None


def table_text(o: dict[str, Any]) -> str | None:
    """One table cell: installed capacity and dated availability (``84 places ; 3 places disponibles au …``)."""
    parts = [t for t in (installed_text(o), available_text(o)) if t]
    return " ; ".join(parts) or None
