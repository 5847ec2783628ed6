"""Picture of ror-gis's OGC API – Features layers as QGIS draws them (docs/qgis.png).

Headless PyQGIS (Debian's ``qgis`` and ``python3-qgis``, run with the system ``python3``, not the
project virtualenv): adds the ``couverture`` (offers covering each commune), ``departements`` and
``offres`` collections of a running ror-gis server as OAPIF layers, exactly as a user does with
*Ajouter une couche WFS / OGC API – Features*, styles them, and exports a print layout (map, title,
legend, sources) to a PNG. Not part of the test suite.

Usage::

    ror-gis serve --port 8000 &                   # a server over loaded data (e.g. `ror-gis demo`)
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/qgis_screenshot.py --url http://127.0.0.1:8000/ogc \\
        --out docs/qgis.png
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFillSymbol,
    QgsGraduatedSymbolRenderer,
    QgsLayout,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsMarkerSymbol,
    QgsProject,
    QgsRectangle,
    QgsRendererRange,
    QgsUnitTypes,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QFont

logger = logging.getLogger("qgis_screenshot")

# Coverage classes: (lower, upper, label, colour); 0 = "zone blanche".
CLASSES = [
    (0, 0, "Aucune offre (zone blanche)", "#F2F2F2"),
    (1, 2, "1 à 2 offres", "#C6DBEF"),
    (3, 5, "3 à 5 offres", "#6BAED6"),
    (6, 10, "6 à 10 offres", "#2171B5"),
    (11, 100000, "plus de 10 offres", "#08306B"),
]


def oapif_layer(base_url: str, collection: str, title: str) -> QgsVectorLayer:
    """A collection of the service as an OAPIF layer (what the WFS / OGC API dialog creates)."""
    uri = f"url='{base_url}' typename='{collection}' pageSize='1000' restrictToRequestBBOX='0'"
    layer = QgsVectorLayer(uri, title, "OAPIF")
    if not layer.isValid():
        raise SystemExit(f"QGIS could not open {collection} from {base_url}: "
                         f"{layer.dataProvider().error().message() if layer.dataProvider() else 'no provider'}")
    count = sum(1 for _ in layer.getFeatures())  # reads every page through the provider
    logger.info("%s: %d features, CRS %s", collection, count, layer.crs().authid())
    return layer


def style_layers(couverture: QgsVectorLayer, departements: QgsVectorLayer, offres: QgsVectorLayer) -> None:
    """Choropleth of the coverage, dashed département outlines, small offer points."""
    ranges = []
    for lower, upper, label, colour in CLASSES:
        symbol = QgsFillSymbol.createSimple({"color": colour, "outline_color": "#FFFFFF", "outline_width": "0.05"})
        ranges.append(QgsRendererRange(lower - 0.5 if lower else -0.5, upper + 0.5, symbol, label))
    couverture.setRenderer(QgsGraduatedSymbolRenderer("offres", ranges))
    departements.setRenderer(departements.renderer().clone())
    departements.renderer().setSymbol(QgsFillSymbol.createSimple(
        {"style": "no", "outline_color": "#333333", "outline_width": "0.4", "outline_style": "dash"}))
    offres.renderer().setSymbol(QgsMarkerSymbol.createSimple(
        {"name": "circle", "color": "#E4002B", "outline_color": "#FFFFFF", "outline_width": "0.1", "size": "1.3"}))


def layout(project: QgsProject, layers: list[QgsVectorLayer], extent: QgsRectangle) -> QgsLayout:
    """A landscape layout (A4 width, height fitted to the map): title, map, legend, sources."""
    lay = QgsLayout(project)
    lay.initializeDefaults()
    page = lay.pageCollection().page(0)
    page.setPageSize(QgsLayoutSize(297, 210, QgsUnitTypes.LayoutMillimeters))

    title = QgsLayoutItemLabel(lay)
    title.setText("ror-gis dans QGIS : couches OGC API – Features (couverture, départements, offres)")
    title.setFont(QFont("DejaVu Sans", 15, QFont.Bold))
    lay.addLayoutItem(title)
    title.attemptMove(QgsLayoutPoint(8, 6, QgsUnitTypes.LayoutMillimeters))
    title.attemptResize(QgsLayoutSize(280, 10, QgsUnitTypes.LayoutMillimeters))

    item = QgsLayoutItemMap(lay)
    item.setCrs(QgsCoordinateReferenceSystem("EPSG:2154"))
    item.setLayers(layers)
    lay.addLayoutItem(item)
    item.attemptMove(QgsLayoutPoint(8, 18, QgsUnitTypes.LayoutMillimeters))
    item.attemptResize(QgsLayoutSize(200, 184, QgsUnitTypes.LayoutMillimeters))
    item.setExtent(extent)
    item.zoomToExtent(extent)  # keeps the item ratio
    item.setFrameEnabled(True)
    page.setPageSize(QgsLayoutSize(297, 18 + item.rect().height() + 8, QgsUnitTypes.LayoutMillimeters))

    legend = QgsLayoutItemLegend(lay)
    legend.setTitle("Légende")
    legend.setLinkedMap(item)
    lay.addLayoutItem(legend)
    legend.attemptMove(QgsLayoutPoint(214, 20, QgsUnitTypes.LayoutMillimeters))

    note = QgsLayoutItemLabel(lay)
    note.setText("Source : service ror-gis (/ogc), données fictives de démonstration, IGN Admin Express, "
                 "INSEE COG. Couches ajoutées par « Ajouter une couche WFS / OGC API – Features ».")
    note.setFont(QFont("DejaVu Sans", 8))
    lay.addLayoutItem(note)
    note.attemptMove(QgsLayoutPoint(214, item.rect().height() - 12, QgsUnitTypes.LayoutMillimeters))
    note.attemptResize(QgsLayoutSize(76, 30, QgsUnitTypes.LayoutMillimeters))
    return lay


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/ogc", help="landing page of the OGC API")
    parser.add_argument("--out", type=Path, default=Path("docs/qgis.png"))
    parser.add_argument("--dpi", type=int, default=110)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    app = QgsApplication([], False)
    app.initQgis()
    try:
        logger.info("QGIS %s", Qgis.QGIS_VERSION)
        project = QgsProject.instance()
        couverture = oapif_layer(args.url, "couverture", "Offres couvrant la commune")
        departements = oapif_layer(args.url, "departements", "Départements")
        offres = oapif_layer(args.url, "offres", "Offres publiques")
        style_layers(couverture, departements, offres)
        for lyr in (couverture, departements, offres):
            project.addMapLayer(lyr)
        to_l93 = QgsCoordinateTransform(couverture.crs(), QgsCoordinateReferenceSystem("EPSG:2154"), project)
        extent = to_l93.transformBoundingBox(couverture.extent())
        extent.scale(1.03)
        lay = layout(project, [offres, departements, couverture], extent)
        settings = QgsLayoutExporter.ImageExportSettings()
        settings.dpi = args.dpi
        settings.generateWorldFile = False
        settings.exportMetadata = False
        args.out.parent.mkdir(parents=True, exist_ok=True)
        result = QgsLayoutExporter(lay).exportToImage(str(args.out), settings)
        if result != QgsLayoutExporter.Success:
            logger.error("layout export failed (code %s)", result)
            return 1
        logger.info("wrote %s (%d bytes)", args.out, args.out.stat().st_size)
        return 0
    finally:
        app.exitQgis()


if __name__ == "__main__":
    sys.exit(main())
