"""Embeddable map widgets of ror-gis: folium/Leaflet pages served with local assets only.

Modules:
- :mod:`web_map.assets`: where Leaflet, Leaflet.markercluster and our CSS/JS are served from.
- :mod:`web_map.style`: palette, families of offers (colour + shape + letter), choropleth ramps.
- :mod:`web_map.base`: the map-page factory (:class:`web_map.base.MapPage`) every widget uses.
- :mod:`web_map.security`: HTTP headers of the map pages (CSP, cache, nosniff).
- :mod:`web_map.widgets`: the concrete pages (commune, spreadsheet choropleth).
"""
