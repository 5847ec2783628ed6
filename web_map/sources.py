"""The « Sources » line and the fictitious-data notice of the pages that list offers, from the offers shown.

Real offers (Annuaire CNSA, ROR imports) are never called fictitious, and demonstration offers are always
named as such: the sources are read from each offer's ``fictif`` flag and ``provenance.offre``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: Reference data behind every offer page (establishments, geography).
REFERENCE_SOURCES = "FINESS, IGN Admin Express 2018, INSEE COG 2026"
DEMO_SOURCE = "ROR Île-de-France (offres fictives de démonstration)"


def _real_source(offer: Mapping[str, Any]) -> str:
    prov = ((offer.get("provenance") or {}).get("offre") or {})
    source, vintage = prov.get("source"), prov.get("millesime")
    if not source:
        return "ROR Île-de-France"
    return f"{source} ({vintage})" if vintage else str(source)


def offer_sources(offers: Iterable[Mapping[str, Any]]) -> str:
    """``Sources : …`` naming the demonstration data only when a fictitious offer is shown."""
    parts: list[str] = []
    for o in offers:
        label = DEMO_SOURCE if o.get("fictif") else _real_source(o)
        if label not in parts:
            parts.append(label)
    parts.sort(key=lambda p: p == DEMO_SOURCE)  # the real sources first
    return "Sources : " + ", ".join([*(parts or ["ROR Île-de-France"]), REFERENCE_SOURCES])


def fictitious_notice(offers: list[Mapping[str, Any]]) -> str | None:
    """The notice for the fictitious offers among those shown (None when all are real)."""
    n = sum(1 for o in offers if o.get("fictif"))
    if n == 0:
        return None
    if n == len(offers):
        return "Les offres affichées sont des données fictives de démonstration."
    verb = "est fictive" if n == 1 else "sont fictives"
    return (f"{n} des {len(offers)} offres affichées {verb} (données de démonstration, nom terminé par "
            "« (fictif) ») ; les autres sont réelles.")
