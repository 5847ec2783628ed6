"""OGC API collections.

A registry of feature collections (one SQL source each), CQL2 → SQL translation, FeatureCollections and Mapbox
Vector Tiles built by PostGIS, and GIS downloads.

The HTTP side lives in ``api/routers/ogc``; this package only takes a connection and returns data.
"""
