"""Concrete map pages built with :class:`web_map.base.MapPage`.

Each builder returns the page (not the response) so that other layers (offers, zones…) can be
added on top before rendering.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import psycopg
from markupsafe import Markup

from gis.layers import communes, departements, nomenclatures, offres, territoires
from gis.layers.offres import Filters
from gis.tableau import TableauResult
from gis.territories.coverage import MOTIF_LABELS
from web_map import style
from web_map.base import COMMUNE_STYLE, CONTEXT_STYLE, Column, LegendItem, MapPage, Marker, PathStyle

_TYPE_LABELS = {"commune": "Commune", "arrondissement-municipal": "Arrondissement municipal"}
_ALIAS_KINDS = {"ancien": "ancien code INSEE", "deleguee": "code de commune déléguée",
                "associee": "code de commune associée"}


def commune_page(conn: psycopg.Connection, code: str, *, basemap: str = "plan-ign") -> MapPage:
    """The commune widget: full outline, fitted view, legend, facts table.

    Raises InvalidInput (malformed code) or NotFound (unknown code).
    """
    feature = communes.feature(conn, code, geometry="full")
    props: dict[str, Any] = feature["properties"]
    nom = props["nom"]
    page = MapPage(f"Offres couvrant {nom}", basemap=basemap,
                   subtitle=f"{_TYPE_LABELS.get(props['type'], 'Commune')} – {props['departement_nom']} "
                            f"({props['departement']})")
    if props.get("code_demande"):
        kind = _ALIAS_KINDS.get(props.get("type_code_demande", ""), "ancien code")
        page.add_notice(f"Le code {props['code_demande']} ({kind}) correspond aujourd'hui à {nom} "
                        f"({props['insee']}).")
    display = {"type": "Feature", "id": feature["id"], "geometry": feature["geometry"],
               "properties": {"nom": nom, "insee": props["insee"], "population": props["population"]}}
    page.add_polygons(display, name=f"Limite communale de {nom}", style=COMMUNE_STYLE,
                      tooltip=[("nom", "Commune"), ("insee", "Code INSEE"), ("population", "Population")])
    if feature.get("bbox"):
        page.fit_bounds(feature["bbox"])
    page.add_legend("Légende", [LegendItem(f"Limite communale de {nom}", style.COMMUNE_OUTLINE, "line")])
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


# --- Spreadsheet choropleth ----------------------------------------------------------------------
def class_bounds(bins: list[float], lower: float) -> list[str]:
    """French legend text of choropleth classes given their upper bounds and the lowest value."""
    out = []
    for i, b in enumerate(bins):
        lo = lower if i == 0 else bins[i - 1]
        if len(bins) == 1 and lo == b:
            out.append(style.fr_number(b))
        elif i == 0:
            out.append(f"de {style.fr_number(lo)} à {style.fr_number(b)}")
        else:
            out.append(f"plus de {style.fr_number(lo)} à {style.fr_number(b)}")
    return out


def apply_classes(result: TableauResult) -> None:
    """Colours and French labels of the classes; ``classe``/``_fill``/``valeur_txt`` on rows and features."""
    bins = result.bins
    colors = style.sequential_ramp(len(bins)) if bins else []
    non_zero = [e["valeur"] for e in result.matched if e["valeur"] != 0]
    lower = min(non_zero) if non_zero else 0.0

    def index(v: float) -> int:
        return next((i for i, b in enumerate(bins) if v <= b), len(bins) - 1)

    counts = [0] * len(bins)
    for e in result.matched:
        v = e["valeur"]
        e["valeur_txt"] = style.fr_number(v, result.decimals if float(v).is_integer() else None)
        if v == 0:
            e["classe"], e["_fill"] = "valeur nulle (zone blanche)", style.ZERO_FILL
        else:
            i = index(v)
            counts[i] += 1
            e["classe_index"] = i
    result.classes = []
    for i, bounds in enumerate(class_bounds(bins, lower)):
        result.classes.append({"label": f"{bounds} ({counts[i]} commune{'s' if counts[i] > 1 else ''})",
                               "bounds": bounds, "color": colors[i]})
    for e in result.matched:
        if "classe_index" in e:
            i = e.pop("classe_index")
            e["classe"], e["_fill"] = f"{i + 1} : {result.classes[i]['bounds']}", colors[i]
    by_insee = {e["insee"]: e for e in result.matched}
    for f in result.features:
        e = by_insee[f["id"]]
        f["properties"].update(valeur_txt=e["valeur_txt"], _fill=e["_fill"])


def tableau_page(result: TableauResult, *, basemap: str = "plan-ign", title: str | None = None) -> MapPage:
    """The choropleth of an uploaded spreadsheet."""
    apply_classes(result)
    value_label = result.value_column
    page = MapPage(title or f"{value_label} par commune", basemap=basemap,
                   subtitle=f"Fichier « {result.filename} » – colonne code : « {result.code_column} », "
                            f"colonne valeur : « {value_label} »",
                   sources=f"Sources : fichier chargé par l'utilisateur ({result.filename}), "
                           "IGN Admin Express 2018, INSEE COG 2026")
    page.add_remote_polygons("/api/v1/departements?geometry=simplified", name="Limites départementales",
                             style=CONTEXT_STYLE)
    if result.features:
        page.add_polygons({"type": "FeatureCollection", "features": result.features}, name=value_label,
                          style=PathStyle(color="#FFFFFF", weight=0.6, opacity=1, fill_color="#CCCCCC",
                                          fill_opacity=0.85),
                          tooltip=[("nom", "Commune"), ("valeur_txt", value_label)])
    if result.bbox:
        page.fit_bounds(result.bbox)
    items = [LegendItem(c["label"], c["color"], "fill") for c in result.classes]
    if result.zero_count:
        items.append(LegendItem("Valeur nulle (0) : zone blanche", kind="hatch"))
    page.add_legend(value_label, items, note=f"Discrétisation : {result.method_label}, "
                    f"{len(result.classes)} classe(s). Communes absentes du fichier : non représentées.")
    page.add_legend("Repères", [LegendItem("Limite départementale", style.DEPARTEMENT_OUTLINE, "dashed")])
    summary = Markup(
        '<section class="rg-summary" aria-labelledby="rg-summary-title"><h2 id="rg-summary-title">Bilan du '
        "rapprochement</h2><ul><li>{} ligne(s) de données lue(s) ({})</li><li>{} commune(s) cartographiée(s)"
        "</li><li>{} ligne(s) non rapprochée(s)</li></ul>"
        '<p><a href="/cartes/tableau">Charger un autre fichier</a></p></section>'
    ).format(result.rows_read, result.format_label, len(result.matched), len(result.unmatched))
    page.add_html(summary)
    dec = result.decimals
    page.add_table(
        f"Communes rapprochées ({len(result.matched)})",
        [Column("nom", "Commune"), Column("insee", "Code INSEE"), Column("code_saisi", "Code saisi"),
         Column("correspondance", "Correspondance"), Column("valeur", value_label, numeric=True, decimals=dec),
         Column("classe", "Classe"), Column("ligne", "Ligne du fichier", numeric=True)],
        result.matched, empty_text="Aucune commune rapprochée.",
    )
    page.add_table(
        f"Lignes non rapprochées ({len(result.unmatched)})",
        [Column("ligne", "Ligne du fichier", numeric=True), Column("code_saisi", "Code saisi"),
         Column("valeur_saisie", "Valeur saisie"), Column("motif", "Motif")],
        result.unmatched, empty_text="Toutes les lignes ont été rapprochées.",
    )
    return page


# --- Offers on the commune widget, one offer, coverage choropleth ---------------------------------
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
    return Marker(lat, lon, o["nom"], family=_offer_family(o), details=details, url=offer_url(o["id"]))


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
        })
    return rows


OFFER_COLUMNS = [
    Column("nom", "Offre"), Column("type", "Type d'offre"), Column("famille", "Famille"),
    Column("etablissement", "Établissement"), Column("finess", "FINESS"), Column("adresse", "Adresse"),
    Column("pourquoi", "Pourquoi elle couvre la commune"),
    Column("distance", "Distance (km)", numeric=True, decimals=1),
    Column("contact", "Contact public"),
]
TERRITORY_STYLE = PathStyle(color="#00838F", weight=1.2, opacity=0.8, fill_color="#00838F", fill_opacity=0.06)


def commune_offers_page(conn: psycopg.Connection, code: str, filters: Filters, *, basemap: str = "plan-ign",
                        query: str = "") -> MapPage:
    """The commune widget: outline, the offers covering it (clustered markers coloured and shaped by
    family), their territories (fetched from the API, toggleable, highlighted on hover/click), legend,
    the same information as a table, and export links."""
    page = commune_page(conn, code, basemap=basemap)
    answer = offres.covering(conn, code, filters, limit=offres.MAX_LIMIT)
    insee, nom = answer["commune"]["insee"], answer["commune"]["nom"]
    results = answer["results"]
    markers = [m for m in (_offer_marker(o) for o in results) if m is not None]
    qs = f"?{query}" if query else ""
    page.add_remote_polygons(f"/api/v1/communes/{insee}/territoires{qs}", name="Territoires d'intervention",
                             style=TERRITORY_STYLE, toggle=True, highlight=True,
                             tooltip=[("nom", "Territoire"), ("offres", "Offres"), ("exemples", "Dont")])
    page.add_markers(markers, name="Offres", cluster=len(markers) > 12, toggle=True)
    families = sorted({m.family for m in markers}, key=list(style.FAMILIES).index)
    if families:
        page.add_family_legend(families)
    page.legends[0].items.append(LegendItem("Territoire d'intervention d'une offre", TERRITORY_STYLE.color, "fill"))
    fictif = any(o["fictif"] for o in results)
    count = answer["total"]
    page.add_notice(f"{count} offre{'s' if count > 1 else ''} couvre{'nt' if count > 1 else ''} {nom}"
                    + (" (filtres appliqués)." if query else "."))
    if fictif:
        page.add_notice("Les offres affichées sont des données fictives de démonstration.")
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


def offre_page(conn: psycopg.Connection, offer_id: str, *, basemap: str = "plan-ign") -> MapPage:
    """One offer: its place, its territory (declared units or polygon), facts and covered communes."""
    o = offres.detail(conn, offer_id)
    eg = o.get("etablissement") or {}
    page = MapPage(o["nom"], basemap=basemap,
                   subtitle=f"{o['type_offre']['label'] or o['type_offre']['code']}"
                            + (f" – {eg['nom']}" if eg else ""))
    if o["fictif"]:
        page.add_notice("Offre fictive (données de démonstration).")
    territory = o["territoire"]
    if territory["features"]:
        page.add_polygons(territory, name="Territoire d'intervention", style=TERRITORY_STYLE, toggle=True,
                          highlight=True, tooltip=[("nom", "Territoire"), ("niveau", "Niveau")], fit=True)
    marker = _offer_marker(o, with_reason=False)
    if marker:
        page.add_markers([marker], name="Lieu de l'offre", cluster=False, toggle=True, fit=not territory["features"])
    fam = style.FAMILIES[_offer_family(o)]
    page.add_legend("Légende", [LegendItem(fam.label, fam.color, "marker", fam.key),
                                LegendItem("Territoire d'intervention", TERRITORY_STYLE.color, "fill")])
    facts = [
        ("Identifiant ROR", o["identifiant"] or o["id"]),
        ("Type d'offre", o["type_offre"]["label"]),
        ("Champ d'activité", o["champ"]["label"]),
        ("Activités", ", ".join(a["label"] or a["code"] for a in o["activites"]) or None),
        ("Publics", ", ".join(a["label"] or a["code"] for a in o["publics"]) or None),
        ("Âges", f"{o['age_min'] if o['age_min'] is not None else '—'} à "
                 f"{o['age_max'] if o['age_max'] is not None else '—'} ans"),
        ("Modes de prise en charge", ", ".join(a["label"] or a["code"] for a in o["modes_prise_en_charge"]) or None),
        ("Établissement", f"{eg['nom']} (FINESS {eg.get('finess') or '—'})" if eg else None),
        ("Adresse", eg_address(eg) or None),
        ("Contact public", " ; ".join(c.get("valeur", "") for c in o["contacts"]) or None),
        ("Statut", {"ouverte": "Ouverte", "fermee_temporairement": "Fermée temporairement"}.get(o["statut"],
                                                                                             o["statut"])),
    ]
    page.add_table("Fiche de l'offre", [Column("label", "Information"), Column("value", "Valeur")],
                   [{"label": k, "value": v} for k, v in facts if v], sortable=False)
    page.add_table("Zone d'intervention déclarée",
                   [Column("type_label", "Niveau"), Column("code", "Code"), Column("nom", "Nom")],
                   o["zone_intervention"], empty_text="Aucune zone déclarée : l'offre couvre le lieu où elle se situe.")
    labels = {"commune": "Commune", "arrondissement-municipal": "Arrondissement"}
    page.add_table(f"Communes couvertes ({len(o['communes_couvertes'])})",
                   [Column("nom", "Commune"), Column("insee", "Code INSEE"), Column("type", "Type"),
                    Column("motif", "Motif")],
                   [{**c, "type": labels.get(c["type"], c["type"]),
                     "motif": MOTIF_LABELS.get(c["motif"], c["motif"])} for c in o["communes_couvertes"]])
    return page


def couverture_page(conn: psycopg.Connection, filters: Filters, *, departement: str | None = None,
                    per_10000: bool = False, classes: int = 5, methode: str = "quantiles",
                    basemap: str = "plan-ign", query: str = "") -> MapPage:
    """Planners' choropleth: how many offers of the type(s) cover each commune; 'zones blanches'."""
    from gis.classify import METHODS, classify, method_key

    data = territoires.coverage_by_commune(conn, filters, departement=departement, geometry=False)
    summary = data["resume"]
    labels = nomenclatures.labels_for(conn, "type_offre", filters.type_offre)
    what = ", ".join(labels) or ", ".join(filters.type_offre)
    prop = "pour_10000" if per_10000 else "offres"
    value_label = "Offres pour 10 000 habitants" if per_10000 else "Nombre d'offres"
    area = (f"département {departement}" if departement else "Île-de-France")
    page = MapPage(f"Couverture : {what}", basemap=basemap,
                   subtitle=f"{value_label} couvrant chaque commune – {area}")
    method = method_key(methode)
    values = [f["properties"][prop] for f in data["features"]
              if f["properties"][prop] not in (None, 0)]
    breaks = classify(values, classes, method) if values else []
    colors = style.sequential_ramp(len(breaks)) if breaks else []
    remote = "/api/v1/couverture" + (f"?{query}" if query else "")
    page.add_remote_polygons(remote, name=value_label, toggle=True, highlight=True,
                             style=PathStyle(color="#FFFFFF", weight=0.5, opacity=1, fill_color="#CCCCCC",
                                             fill_opacity=0.85),
                             choropleth={"property": prop, "breaks": breaks, "colors": colors,
                                         "zeroFill": style.ZERO_FILL, "noDataFill": style.NO_DATA_FILL},
                             tooltip=[("nom", "Commune"), ("offres", "Offres"), ("pour_10000", "Pour 10 000 hab."),
                                      ("population", "Population")])
    page.add_remote_polygons("/api/v1/departements?geometry=simplified", name="Limites départementales",
                             style=CONTEXT_STYLE)
    extent = departements.bbox(conn, departement)
    if extent:
        page.fit_bounds(extent)
    lower = min(values) if values else 0
    items = [LegendItem(text, c, "fill") for text, c in zip(class_bounds(breaks, lower), colors, strict=True)]
    items.append(LegendItem("Aucune offre : zone blanche", kind="hatch"))
    page.add_legend(value_label, items, note=f"Discrétisation : {METHODS[method]}. Paris est représenté par "
                    "arrondissement. Une commune couverte par une offre de tout Paris ou du département compte.")
    page.add_legend("Repères", [LegendItem("Limite départementale", style.DEPARTEMENT_OUTLINE, "dashed")])
    pct_c = 100 * summary["communes_non_couvertes"] / summary["communes"] if summary["communes"] else 0
    pct_p = 100 * summary["population_non_couverte"] / summary["population"] if summary["population"] else 0
    page.add_html(Markup(
        '<section class="rg-summary" aria-labelledby="rg-summary-title"><h2 id="rg-summary-title">En bref</h2><ul>'
        "<li>{} communes ou arrondissements, dont <strong>{} sans aucune offre</strong> ({} %)</li>"
        "<li>Population non couverte : <strong>{} habitants</strong> ({} %)</li></ul>"
        '<p class="rg-exports">Données : <a href="{}">GeoJSON</a></p></section>'
    ).format(style.fr_number(summary["communes"]), style.fr_number(summary["communes_non_couvertes"]),
             style.fr_number(pct_c, 1), style.fr_number(summary["population_non_couverte"]),
             style.fr_number(pct_p, 1), remote))
    rows = [{**f["properties"], "zone": "oui" if f["properties"]["offres"] == 0 else "non"}
            for f in data["features"]]
    page.add_table(f"{value_label} par commune ({len(rows)})",
                   [Column("nom", "Commune"), Column("insee", "Code INSEE"), Column("departement", "Dép."),
                    Column("population", "Population", numeric=True), Column("offres", "Offres", numeric=True),
                    Column("pour_10000", "Pour 10 000 hab.", numeric=True, decimals=2),
                    Column("zone", "Zone blanche")], rows)
    return page

