"""Offer widgets built from plain data: the commune map with the offers covering it, one offer.

The routers in :mod:`api.routers.cartes` query :mod:`gis.layers` and pass the answers here; nothing
in :mod:`web_map` runs SQL.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from gis.territories.coverage import MOTIF_LABELS
from web_map import capacity, offer_facts, sources, style
from web_map.editing import report_url
from web_map.elements import COMMUNE_STYLE, TERRITORY_STYLE, Column, LegendItem, Marker
from web_map.page import MapPage

_TYPE_LABELS = {"commune": "Commune", "arrondissement-municipal": "Arrondissement municipal"}
_ALIAS_KINDS = {"ancien": "ancien code INSEE", "deleguee": "code de commune déléguée",
                "associee": "code de commune associée"}


def place_name(nom: str) -> str:
    """Display name of a commune: ``"Paris 15e Arrondissement"`` → ``"Paris 15e"``."""
    return re.sub(r"\s+arrondissement$", "", nom, flags=re.IGNORECASE)


def commune_page(feature: dict[str, Any], *, basemap: str = "plan-ign") -> MapPage:
    """The commune widget: full outline, fitted view, legend, facts table.

    ``feature``: the GeoJSON Feature of :func:`gis.layers.communes.feature` (``geometry="full"``).
    """
    props: dict[str, Any] = feature["properties"]
    nom = place_name(props["nom"])
    outline = ("Limite de l'arrondissement " if props["type"] == "arrondissement-municipal"
               else "Limite communale de ") + nom
    page = MapPage(f"Offres couvrant {nom}", basemap=basemap,
                   subtitle=f"{_TYPE_LABELS.get(props['type'], 'Commune')} – {props['departement_nom']} "
                            f"({props['departement']})")
    if props.get("code_demande"):
        kind = _ALIAS_KINDS.get(props.get("type_code_demande", ""), "ancien code")
        page.add_notice(f"Le code {props['code_demande']} ({kind}) correspond aujourd'hui à {nom} "
                        f"({props['insee']}).")
    display = {"type": "Feature", "id": feature["id"], "geometry": feature["geometry"],
               "properties": {"nom": nom, "insee": props["insee"], "population": props["population"]}}
    page.add_polygons(display, name=outline, style=COMMUNE_STYLE,
                      tooltip=[("nom", "Commune"), ("insee", "Code INSEE"), ("population", "Population")])
    if feature.get("bbox"):
        page.fit_bounds(feature["bbox"])
    page.add_legend("Légende", [LegendItem(outline, style.COMMUNE_OUTLINE, "line")])
    page.add_table(f"Caractéristiques de {nom}", [Column("label", "Caractéristique"), Column("value", "Valeur")],
                   commune_facts(props), sortable=False)
    return page


def commune_facts(props: dict[str, Any]) -> list[dict[str, Any]]:
    """Two-column rows (label, value) describing a commune, in French."""
    rows: list[tuple[str, Any]] = [
        ("Nom", props["nom"]),
        ("Code INSEE", props["insee"]),
        ("Type", _TYPE_LABELS.get(props["type"], props["type"])),
        ("Département", f"{props['departement_nom']} ({props['departement']})"),
        ("Codes postaux", ", ".join(props.get("codes_postaux") or []) or None),
        ("Population municipale", style.fr_number(props["population"]) if props.get("population") else None),
        ("Superficie", f"{style.fr_number(props['superficie_km2'], 2)} km²" if props.get("superficie_km2") else None),
        ("Intercommunalité (EPCI)", props.get("epci_nom")),
        ("Établissement public territorial", props.get("ept_nom")),
        ("Commune de rattachement", props.get("parent_nom")),
        ("Anciens codes rattachés", ", ".join(props.get("codes_anciens") or []) or None),
        ("Arrondissements", ", ".join(props.get("arrondissements") or []) or None),
    ]
    return [{"label": k, "value": v} for k, v in rows if v not in (None, "")]


def _offer_family(o: dict[str, Any]) -> str:
    eg = o.get("etablissement") or {}
    return style.family_for(o["type_offre"]["code"], (eg.get("categorie") or {}).get("code")).key


def eg_address(eg: dict[str, Any]) -> str:
    """One-line address of an establishment ('' when unknown)."""
    return " ".join(x for x in (eg.get("adresse"), eg.get("code_postal"), eg.get("ville")) if x)


def offer_url(offer_id: str) -> str:
    return "/cartes/offre/" + quote(offer_id, safe="")


def _offer_marker(o: dict[str, Any], *, with_reason: bool = True) -> Marker | None:
    eg = o.get("etablissement") or {}
    lat, lon = o.get("lat") or eg.get("lat"), o.get("lon") or eg.get("lon")
    if lat is None or lon is None:
        return None
    details: list[tuple[str, str]] = [("Type d'offre", o["type_offre"]["label"] or o["type_offre"]["code"] or "—")]
    if eg:
        details += [("Établissement", eg["nom"]), ("FINESS", eg.get("finess") or "—"),
                    ("Adresse", eg_address(eg) or "—")]
    if with_reason and o.get("couverture"):
        details.append(("Pourquoi", o["couverture"]["libelle"]))
    if o.get("distance_km") is not None:
        details.append(("Distance", f"{style.fr_number(o['distance_km'], 1)} km du centre de la commune"))
    details += capacity.details(o)
    return Marker(lat, lon, o["nom"], family=_offer_family(o), details=details, url=offer_url(o["id"]))


_CANALS = {"2": "Tél.", "3": "Fax", "4": "Courriel", "5": "Site web", "telephone": "Tél.", "phone": "Tél.",
           "fax": "Fax", "email": "Courriel", "mail": "Courriel", "url": "Site web"}
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+$")
_WEB = re.compile(r"^https?://[^\s<>\"']+$")


def _contact_link(contact: dict[str, Any]) -> Markup:
    """One public contact as a ``tel:``, ``mailto:`` or web link when its value is one, else as text."""
    value = str(contact.get("valeur") or "")
    canal = _CANALS.get(str(contact.get("canal") or "").lower(), "")
    href = None
    digits = re.sub(r"[^0-9+]", "", value)
    if canal in ("Tél.", "Fax") and len(digits) >= 3:
        href = "tel:" + digits
    elif _EMAIL.match(value):
        href = "mailto:" + value
    elif canal == "Site web" and _WEB.match(value):
        href = value
    prefix = f"{canal} " if canal else ""
    if href is None:
        return Markup("{}{}").format(prefix, value)
    return Markup('{}<a href="{}">{}</a>').format(prefix, href, value)


def _offer_cells(o: dict[str, Any]) -> dict[str, Any]:
    """The name as a link to the offer's page, contacts as links, the reason with a partial-coverage mark."""
    cov = o.get("couverture") or {}
    contacts = [c for c in o.get("contacts") or [] if c.get("valeur")]
    reason = cov.get("libelle")
    if reason and cov.get("partielle"):
        reason = Markup('{} <span class="rg-badge">couverture partielle</span>').format(reason)
    return {
        "nom": Markup('<a href="{}" target="_top">{}</a>').format(offer_url(o["id"]), o["nom"]),
        "pourquoi": reason,
        "contact": Markup(" ; ").join(_contact_link(c) for c in contacts) if contacts else None,
        "signaler": Markup('<a href="{}" target="_top">Signaler une anomalie</a>').format(report_url("offre", o["id"])),
    }


def _offer_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for o in results:
        eg = o.get("etablissement") or {}
        cov = o.get("couverture") or {}
        rows.append({
            "nom": o["nom"],
            "type": o["type_offre"]["label"] or o["type_offre"]["code"],
            "famille": style.FAMILIES[_offer_family(o)].label,
            "etablissement": eg.get("nom"),
            "finess": eg.get("finess"),
            "adresse": eg_address(eg) or None,
            "pourquoi": cov.get("libelle"),
            "distance": o.get("distance_km"),
            "contact": " ; ".join(c.get("valeur", "") for c in o.get("contacts") or []) or None,
            "capacite": capacity.table_text(o),
            **_offer_cells(o),
        })
    return rows


OFFER_COLUMNS = [
    Column("nom", "Offre"), Column("type", "Type d'offre"), Column("famille", "Famille"),
    Column("etablissement", "Établissement"), Column("finess", "FINESS"), Column("adresse", "Adresse"),
    Column("pourquoi", "Pourquoi elle couvre la commune"),
    Column("distance", "Distance (km)", numeric=True, decimals=1),
    Column("contact", "Contact"),
    Column("signaler", "Signaler"),
    Column("capacite", "Capacité et disponibilités"),
]


#: Offers shown by the commune widget (the nearest first): keeps the page under 300 KB at national scale, where
#: Paris, Lyon or Marseille are covered by thousands of offers; the exports give the whole list.
COMMUNE_WIDGET_OFFERS = 150


#: Territories shared by offers of several families.
MIXED_TERRITORY_COLOR = "#5F6B73"


def _type_colors(results: list[dict[str, Any]]) -> dict[str, str]:
    """Family colour of each type d'offre among the offers (the first offer's family for a type)."""
    colors: dict[str, str] = {}
    for o in results:
        code = o["type_offre"]["code"]
        if code and code not in colors:
            colors[code] = style.FAMILIES[_offer_family(o)].color
    return colors


def _territory_swatch(families: list[str]) -> str:
    return style.FAMILIES[families[0]].color if families else TERRITORY_STYLE.color


def commune_offers_page(feature: dict[str, Any], answer: dict[str, Any], *, basemap: str = "plan-ign",
                        query: str = "") -> MapPage:
    """The commune widget: outline, the offers covering it (clustered markers coloured and shaped by
    family), their territories (fetched from the API, toggleable, highlighted on hover/click), legend,
    the same information as a table, and export links.

    ``feature``: the commune (:func:`gis.layers.communes.feature`); ``answer``: the offers covering it
    (:func:`gis.layers.offres.covering`); ``query``: the filters as a query string, for the API links.
    """
    page = commune_page(feature, basemap=basemap)
    insee, nom = answer["commune"]["insee"], place_name(answer["commune"]["nom"])
    results = answer["results"]
    markers = [m for m in (_offer_marker(o) for o in results) if m is not None]
    qs = f"?{query}" if query else ""
    layer = page.add_remote_polygons(f"/api/v1/communes/{insee}/territoires{qs}", name="Territoires d'intervention",
                                     style=TERRITORY_STYLE, toggle=True, highlight=True,
                                     tooltip=[("nom", "Territoire"), ("offres", "Offres"), ("exemples", "Dont")])
    # A département or région covers the whole view: drawn as an outline only, it never catches the pointer.
    layer["options"]["outlineOnly"] = {"property": "niveau", "values": ["region", "departement"]}
    # Each territory in the colour of its offers' family (the markers' colours); several families: grey.
    layer["options"]["familyFill"] = {"property": "types_offre", "mixed": MIXED_TERRITORY_COLOR,
                                      "colors": _type_colors(results)}
    page.add_markers(markers, name="Offres", cluster=len(markers) > 12, toggle=True)
    families = sorted({m.family for m in markers}, key=list(style.FAMILIES).index)
    if families:
        legend = page.add_family_legend(families)
        if len(markers) > 12:
            legend.items.append(LegendItem("Groupe d'offres proches d'une même famille (leur nombre) : zoomez ou "
                                           "cliquez pour les séparer", style.FAMILIES[families[0]].color, "cluster"))
    page.legends[0].items.append(LegendItem("Territoire d'intervention, dans la couleur de la famille de ses offres "
                                            "(survol : mise en évidence)", _territory_swatch(families), "fill"))
    page.legends[0].items.append(LegendItem("Territoire commun à des offres de plusieurs familles",
                                            MIXED_TERRITORY_COLOR, "fill"))
    page.legends[0].items.append(LegendItem("Département ou région entiers (contour seul, couleur de la famille)",
                                            _territory_swatch(families), "dashed"))
    page.sources = sources.offer_sources(results)
    count = answer["total"]
    page.add_notice(f"{count} offre{'s' if count > 1 else ''} couvre{'nt' if count > 1 else ''} {nom}"
                    + (" (filtres appliqués)." if query else "."))
    if count > len(results):
        page.add_notice(f"Carte et tableau : les {len(results)} offres les plus proches du centre de la commune ; "
                        "la liste complète est dans les exports ci-dessous.")
    notice = sources.fictitious_notice(results)
    if notice:
        page.add_notice(notice)
    api = f"/api/v1/communes/{insee}/services{qs}"
    sep = "&" if query else "?"
    page.add_html(Markup(
        '<p class="rg-exports">Exporter la liste : <a href="{}" download>CSV</a> · <a href="{}" download>XLSX</a>'
        ' · <a href="{}">GeoJSON</a></p>').format(f"{api}{sep}format=csv", f"{api}{sep}format=xlsx",
                                                   f"{api}{sep}format=geojson"))
    page.add_table(f"Offres couvrant {nom} ({count})", OFFER_COLUMNS, _offer_rows(results),
                   empty_text="Aucune offre ne couvre cette commune avec ces critères.")
    # Put the offers table first: it is what coordinators read.
    page.tables.insert(0, page.tables.pop())
    return page


def offre_page(o: dict[str, Any], *, basemap: str = "plan-ign") -> MapPage:
    """One offer (:func:`gis.layers.offre_detail.detail`): its place, its territory (declared units or
    polygon), facts and covered communes."""
    eg = o.get("etablissement") or {}
    page = MapPage(o["nom"], basemap=basemap,
                   subtitle=f"{o['type_offre']['label'] or o['type_offre']['code']}"
                            + (f" – {eg['nom']}" if eg else ""))
    page.sources = sources.offer_sources([o])
    if o["fictif"]:
        page.add_notice("Offre fictive (données de démonstration).")
    covered = o["communes_couvertes"]
    partial = offer_facts.partial_cities(covered)
    # A city covered only in some arrondissements is not shaded whole (its arrondissements are).
    territory = {**o["territoire"], "features": [f for f in o["territoire"]["features"]
                                                 if f["properties"].get("code") not in partial]}
    polygon = offer_facts.polygon_text(o)
    if polygon:
        page.add_notice(polygon + ".")
    if territory["features"]:
        page.add_polygons(territory, name="Territoire d'intervention", style=TERRITORY_STYLE, toggle=True,
                          highlight=True, tooltip=[("nom", "Territoire"), ("niveau", "Niveau")], fit=True)
    marker = _offer_marker(o, with_reason=False)
    if marker:
        page.add_markers([marker], name="Lieu de l'offre", cluster=False, toggle=True, fit=not territory["features"],
                         extend_fit=bool(territory["features"]))
    family = _offer_family(o)
    fam = style.FAMILIES[family]
    page.add_legend("Légende", [LegendItem(fam.label, fam.color, "marker", fam.key),
                                LegendItem("Territoire d'intervention" + (" dessiné (polygone)" if polygon else ""),
                                           TERRITORY_STYLE.color, "fill")])
    facts = [
        ("Identifiant ROR", o["identifiant"] or o["id"]),
        ("Type d'offre", o["type_offre"]["label"]),
        ("Champ d'activité", o["champ"]["label"]),
        ("Activités", ", ".join(a["label"] or a["code"] for a in o["activites"]) or None),
        ("Publics", ", ".join(a["label"] or a["code"] for a in o["publics"]) or None),
        ("Âges", offer_facts.ages_text(o["age_min"], o["age_max"])),
        ("Modes de prise en charge", ", ".join(a["label"] or a["code"] for a in o["modes_prise_en_charge"]) or None),
        ("Établissement", (f"{eg['nom']} (FINESS {eg['finess']})" if eg.get("finess") else eg["nom"]) if eg else None),
        ("Adresse", eg_address(eg) or None),
        ("Lieu de réalisation", offer_facts.place_text(o.get("lieu"))),
        ("Contact", " ; ".join(c.get("valeur", "") for c in o["contacts"]) or None),
        ("Horaires", offer_facts.hours_text(o.get("horaires")) or f"Non renseignés dans {offer_facts.source_name(o)}"),
        ("Visites à domicile", offer_facts.home_visits_text(o, family)),
        ("Statut", {"ouverte": "Ouverte", "fermee_temporairement": "Fermée temporairement"}.get(o["statut"],
                                                                                             o["statut"])),
        *capacity.details(o),
        ("Source", capacity.source_text(o)),
        ("Dernière mise à jour", offer_facts.date_text(o.get("derniere_maj")) or "Non renseignée"),
    ]
    page.add_table("Fiche de l'offre", [Column("label", "Information"), Column("value", "Valeur")],
                   [{"label": k, "value": v} for k, v in facts if v], sortable=False)
    page.add_table("Zone d'intervention déclarée",
                   [Column("type_label", "Niveau"), Column("code", "Code"), Column("nom", "Nom")],
                   o["zone_intervention"],
                   empty_text=polygon or "Aucune zone déclarée : l'offre couvre le lieu où elle se situe.")
    labels = {"commune": "Commune", "arrondissement-municipal": "Arrondissement"}
    page.add_table(f"Communes couvertes ({len(covered)})",
                   [Column("nom", "Commune"), Column("insee", "Code INSEE"), Column("type", "Type"),
                    Column("motif", "Motif")],
                   [{**c, "type": labels.get(c["type"], c["type"]) + (" (en partie)" if c.get("partielle") else ""),
                     "motif": MOTIF_LABELS.get(c["motif"], c["motif"])}
                    for c in offer_facts.covered_rows(covered, partial)])
    return page
