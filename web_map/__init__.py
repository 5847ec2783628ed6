"""Embeddable map widgets and human pages of ror-gis: Jinja2 templates (autoescape) and external
Leaflet scripts, local assets only, no inline script, no SQL, no HTTP framework.

Modules:
- :mod:`web_map.basemaps`: tile layers and their hosts.
- :mod:`web_map.elements`: styles, markers, legend items, tables (plain data).
- :mod:`web_map.components`: layers and legends as JSON-able specs read by ``static/ror-map.js``.
- :mod:`web_map.page`: :class:`web_map.page.MapPage` and the template renderer.
- :mod:`web_map.widgets`: commune and offer maps; :mod:`web_map.choropleth`: coverage and spreadsheet maps.
- :mod:`web_map.style`: palette, families of offers (colour + shape + letter), choropleth ramps.
- :mod:`web_map.assets`: versioned URLs of Leaflet, markercluster, Swagger UI/Redoc and our CSS/JS.
- :mod:`web_map.security`: headers of the HTML pages (strict CSP, cache, nosniff).

The HTTP side (responses, static mounts, error pages) is in :mod:`api.html`; the routers in
:mod:`api.routers` query :mod:`gis.layers` and pass plain data to the builders here.
"""
