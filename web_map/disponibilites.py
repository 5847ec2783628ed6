"""The availability page (*Disponibilités*): a form, the map of the offers with available places around a commune,
and their table with the freshness of each figure.

Built from the answer of :func:`gis.layers.disponibilites.around` (no SQL here). Pages are cached until the data
change, so everything that depends on the time of reading is recomputed in the browser by ``disponibilites.js``
from the dates in the table (``data-maj``, ``data-perimee-apres``): "mis à jour il y a 3 h", and the figures older
than the delay are marked *périmé* and struck out — never presented as current places. Without JavaScript the
table shows the dated figure, and *périmé* for what was already stale when the page was built.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from markupsafe import Markup

from web_map import assets, capacity, style
from web_map.elements import COMMUNE_STYLE, LegendItem, Marker
from web_map.page import MapPage, render_template
from web_map.widgets import eg_address, offer_url

SOURCES = ("Sources : ROR Île-de-France, Annuaire CNSA (≈ 2021) ; disponibilités de démonstration fictives "
           "quand elles sont signalées ; IGN Admin Express 2018, INSEE COG 2026")


class AvailabilityPage(MapPage):
    """A map page with the availability script and stylesheet."""

    def render(self) -> str:
        """The complete HTML page (the map page plus ``disponibilites.js``)."""
        cluster = self.clustered
        css = [*assets.map_css(cluster=cluster), f"{assets.own_prefix()}/disponibilites.css"]
        scripts = [*assets.map_js(cluster=cluster, vector_tiles=self.vector_tiles),
                   f"{assets.own_prefix()}/disponibilites.js"]
        return render_template("page.html", page=self, spec=self.spec(), css=css, scripts=scripts)


def _form(commune: str, type_offre: str, rayon_km: float, types: Sequence[tuple[str, str]]) -> Markup:
    return Markup(render_template("disponibilites_form.html", commune=commune, type_offre=type_offre,
                                  rayon_km=f"{rayon_km:g}", types=types))


def _row(o: dict[str, Any], now: datetime) -> dict[str, Any]:
    d = o["disponibilite"]
    eg = o.get("etablissement") or {}
    limit = capacity.parse_instant(d.get("perimee_apres"))
    stale = bool(d["perimee"]) or limit is None or limit < now
    moment = capacity.parse_instant(d.get("maj"))
    return {
        "nom": o["nom"], "url": offer_url(o["id"]), "type": o["type_offre"]["label"] or o["type_offre"]["code"],
        "etablissement": eg.get("nom"), "adresse": eg_address(eg) or None,
        "distance": style.fr_number(o.get("distance_km"), 1), "places": d["places"],
        "installee": capacity.installed_text(o),
        "maj": d.get("maj") or "", "perimee_apres": d.get("perimee_apres") or "",
        "maj_texte": moment.astimezone(capacity.PARIS).strftime("%d/%m/%Y à %H:%M") if moment else "date inconnue",
        "perimee": stale, "fictive": d["fictive"],
    }


def availability_page(answer: dict[str, Any] | None, *, commune: str = "", type_offre: str = "",
                      rayon_km: float = 10.0, types: Sequence[tuple[str, str]] = (), now: datetime,
                      basemap: str = "plan-ign", query: str = "") -> AvailabilityPage:
    """The page: form, then (for an answer) markers, legend and the table with the freshness of every figure.

    ``answer``: :func:`gis.layers.disponibilites.around` (None: the form only); ``types``: (code, label) of the
    types d'offre offered in the form; ``now``: the time the page is built; ``query``: the API query string.
    """
    title = "Places disponibles"
    subtitle = None
    if answer is not None:
        c = answer["commune"]
        subtitle = f"Autour de {c['nom']} ({c['insee']}), {style.fr_number(answer['rayon_km'])} km"
    page = AvailabilityPage(title, basemap=basemap, subtitle=subtitle, sources=SOURCES,
                            description="Carte des offres ayant des places disponibles, avec la date de chaque "
                                        "chiffre ; le tableau sous la carte donne les mêmes informations.")
    page.add_html(_form(commune, type_offre, rayon_km, types), before_map=True)
    if answer is None:
        page.add_notice("Choisissez une commune (code INSEE) et un type d'offre.")
        return page
    delay = answer["delai_peremption_h"]
    page.add_notice(f"Un chiffre de plus de {delay} h est « périmé » : il n'indique pas les places disponibles "
                    "aujourd'hui. Les disponibilités marquées « fictif » sont inventées pour la démonstration.")
    rows = [_row(o, now) for o in answer["results"]]
    markers = []
    for o, row in zip(answer["results"], rows, strict=True):
        eg = o.get("etablissement") or {}
        lat, lon = o.get("lat") or eg.get("lat"), o.get("lon") or eg.get("lon")
        if lat is None or lon is None:
            continue
        dispo = f"{row['places']} au {row['maj_texte']}" + (" — périmé" if row["perimee"] else "")
        details = [("Type d'offre", row["type"]), ("Établissement", row["etablissement"] or "—"),
                   ("Places disponibles", dispo + (" (donnée fictive)" if row["fictive"] else "")),
                   ("Capacité installée", row["installee"] or "—"),
                   ("Distance", f"{row['distance']} km du centre de la commune")]
        markers.append(Marker(lat, lon, o["nom"], family="personnes_agees" if not row["perimee"] else "autre",
                              details=details, url=row["url"]))
    c = answer["commune"]
    outline = f"Limite communale de {c['nom']}"
    # the commune asked about, for context (fetched from the API; the markers fit the view)
    page.add_remote_polygons(f"/api/v1/communes/{c['insee']}?geometrie=simplified", name=outline,
                             style=COMMUNE_STYLE, toggle=True)
    page.add_markers(markers, name="Offres avec des places disponibles", fit=bool(markers))
    items = [LegendItem("Chiffre récent", style.FAMILIES["personnes_agees"].color, "marker", "personnes_agees"),
             LegendItem("Chiffre périmé", style.FAMILIES["autre"].color, "marker", "autre"),
             LegendItem(outline, style.COMMUNE_OUTLINE, "line")]
    if len(markers) > 1:
        items.append(LegendItem("Groupe d'offres proches (leur nombre, pas des places) : zoomez ou cliquez pour "
                                "les séparer", style.FAMILIES["personnes_agees"].color, "cluster"))
    page.add_legend("Légende", items)
    page.add_html(Markup(render_template(
        "disponibilites_table.html", rows=rows, total=answer["total"], perimees=answer["perimees"], delay=delay,
        api=f"/api/v1/disponibilites?{query}" if query else "/api/v1/disponibilites")))
    return page
