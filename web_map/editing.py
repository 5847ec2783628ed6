"""Pages of the anomaly reports and of the territory editor, and the links the offer page gets (no SQL, no HTTP).

- :func:`report_form_page` — « Signaler une anomalie » on an offer or an establishment (public page, the script
  ``signalement.js`` posts the report as JSON to ``/api/v1/signalements``);
- :func:`reports_page` — the reports an administrator or a référent processes (``signalements-gestion.js`` changes
  their status with the session's CSRF token);
- :func:`zone_editor_page` — the zone d'intervention editor (Leaflet, Leaflet.draw when installed, commune and
  département pickers, GeoJSON upload; ``zone-editeur.js``);
- :func:`add_offer_actions` — the report / edit links and the local-override notice on the offer page.

Every value reaches the HTML through autoescape or a JSON data block.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from web_map import assets
from web_map.basemaps import basemap
from web_map.page import MapPage, render_template

STATUT_LABELS = {"nouveau": "Nouveau", "en_cours": "En cours", "corrige": "Corrigé", "rejete": "Rejeté"}


def report_url(cible_type: str, ref: str) -> str:
    """URL of the report form about an offer (``offre``) or an establishment (``etablissement``)."""
    return f"/signalements/nouveau/{cible_type}/" + quote(ref, safe="")


def zone_editor_url(offer_id: str) -> str:
    """URL of the zone editor of an offer."""
    return "/cartes/offre/" + quote(offer_id, safe="") + "/zone"


def _own(*names: str) -> list[str]:
    return [f"{assets.own_prefix()}/{name}" for name in names]


def report_form_page(target: dict[str, Any], categories: dict[str, str]) -> str:
    """The report form about ``target`` (``{"type", "ref", "nom", "finess"}``)."""
    return render_template("signalement_form.html", target=target, categories=list(categories.items()),
                           data={"cible_type": target["type"], "cible": target["ref"]},
                           css=[*assets.page_css(), *_own("editing.css")], scripts=_own("signalement.js"))


def reports_page(page: dict[str, Any], *, principal: dict[str, Any], csrf: str | None, statut: str | None,
                 categories: dict[str, str]) -> str:
    """The reports of ``page`` (:func:`gis.signalements.list_reports`) with their status controls."""
    return render_template("signalements.html", page=page, principal=principal, statut=statut,
                           statuts=list(STATUT_LABELS.items()), categories=categories,
                           data={"csrf": csrf}, css=[*assets.page_css(), *_own("editing.css")],
                           scripts=_own("signalements-gestion.js"))


def zone_editor_page(state: dict[str, Any], *, csrf: str | None, principal: dict[str, Any],
                     basemap_key: str = "plan-ign") -> str:
    """The zone editor of one offer (``state``: :func:`gis.territories.editing.zone_state`)."""
    draw = assets.draw_version() is not None
    css = [f"{assets.leaflet_prefix()}/leaflet.css"]
    js = [f"{assets.leaflet_prefix()}/leaflet.js"]
    if draw:
        css.append(f"{assets.draw_prefix()}/leaflet.draw.css")
        js.append(f"{assets.draw_prefix()}/leaflet.draw.js")
    offer_id = state["offre"]["id"]
    tiles = basemap(basemap_key)
    data = {"offre": offer_id, "csrf": csrf, "draw": draw, "basemap": tiles.as_js() if tiles else None,
            "api": "/api/v1/offres/" + quote(offer_id, safe="") + "/zone"}
    return render_template("zone_editeur.html", state=state, principal=principal, data=data,
                           offer_url="/cartes/offre/" + quote(offer_id, safe=""),
                           css=[*css, *assets.page_css(), *_own("editing.css")],
                           scripts=[*js, *_own("zone-editeur.js")])


def add_offer_actions(page: MapPage, offer: dict[str, Any], override: dict[str, Any] | None) -> None:
    """Add to the offer page: the local-override notice, the report links (offer, EG) and the zone editor link."""
    if override:
        page.add_notice(f"Zone d'intervention modifiée localement le {override['modifie_le'][:10]} par "
                        f"{override['modifie_par']} : elle remplace la zone transmise par le ROR "
                        f"(source {override['source_ror']}).")
        if override.get("conflit"):
            page.add_notice("Le ROR a depuis transmis une zone différente : conflit à arbitrer par les référents.")
    eg = offer.get("etablissement") or {}
    links = [Markup('<a href="{}">Signaler une anomalie sur cette offre</a>').format(report_url("offre", offer["id"]))]
    if eg.get("finess"):
        links.append(Markup('<a href="{}">Signaler une anomalie sur l\'établissement</a>').format(
            report_url("etablissement", eg["finess"])))
    links.append(Markup('<a href="{}">Modifier la zone d\'intervention</a> (référents et administrateurs)').format(
        zone_editor_url(offer["id"])))
    page.add_html(Markup('<p class="rg-exports rg-actions">{}</p>').format(Markup(" · ").join(links)),
                  before_map=False)
