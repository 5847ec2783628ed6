"""OpenAPI 3.0 definition of the OGC API (``/ogc/api``), written from the collection registry."""

from __future__ import annotations

from typing import Any

from gis.layers.ogc.features import MAX_LIMIT
from gis.layers.ogc.registry import Collection

_ERR = {"description": "Erreur (message en français)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_JSON = {"application/json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}
_GEO = {"application/geo+json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}


def _param(name: str, desc: str, schema: dict[str, Any], where: str = "query", **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "description": desc, "required": where == "path", "schema": schema, **extra}


def _parameters(collections: dict[str, Collection]) -> dict[str, Any]:
    string = {"type": "string"}
    return {
        "collectionId": _param("collectionId", "Identifiant de la collection",
                               {"type": "string", "enum": list(collections)}, "path"),
        "featureId": _param("featureId", "Identifiant de l'entité", string, "path"),
        "f": _param("f", "Format de la réponse", {"type": "string", "enum": ["json", "html"]}),
        "fItems": _param("f", "Format de la réponse ou du fichier",
                         {"type": "string", "enum": ["json", "geojson", "html", "csv", "gpkg", "fgb"]}),
        "limit": _param("limit", "Nombre maximal d'entités",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10}),
        "offset": _param("offset", "Rang de la première entité", {"type": "integer", "minimum": 0, "default": 0}),
        "bbox": _param("bbox", "Emprise ouest,sud,est,nord", {"type": "array", "minItems": 4, "maxItems": 6,
                                                               "items": {"type": "number"}},
                       style="form", explode=False),
        "bbox-crs": _param("bbox-crs", "CRS de bbox", {"type": "string", "format": "uri"}),
        "crs": _param("crs", "CRS de la réponse (CRS84 ou EPSG:2154)", {"type": "string", "format": "uri"}),
        "properties": _param("properties", "Propriétés à renvoyer", {"type": "array", "items": string},
                             style="form", explode=False),
        "sortby": _param("sortby", "Tri (+prop, -prop)", {"type": "array", "items": string},
                         style="form", explode=False),
        "filter": _param("filter", "Filtre CQL2", string),
        "filter-lang": _param("filter-lang", "Langage du filtre",
                              {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"}),
        "filter-crs": _param("filter-crs", "CRS des géométries du filtre", {"type": "string", "format": "uri"}),
        "type_offre": _param("type_offre", "Collection couverture : code(s) de type d'offre", string),
        "tms": _param("tileMatrixSetId", "Jeu de matrices de tuiles",
                      {"type": "string", "enum": ["WebMercatorQuad"]}, "path"),
        "z": _param("tileMatrix", "Niveau de zoom", {"type": "integer", "minimum": 0, "maximum": 22}, "path"),
        "x": _param("tileCol", "Colonne", {"type": "integer", "minimum": 0}, "path"),
        "y": _param("tileRow", "Ligne", {"type": "integer", "minimum": 0}, "path"),
    }


def _op(op_id: str, summary: str, params: list[str], content: dict[str, Any], tag: str) -> dict[str, Any]:
    return {"get": {
        "operationId": op_id, "summary": summary, "tags": [tag],
        "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in params],
        "responses": {"200": {"description": "Succès", "content": content}, "404": _ERR, "422": _ERR},
    }}


def openapi_document(base: str, collections: dict[str, Collection]) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of ``/ogc``, served at ``/ogc/api``."""
    query = ["limit", "offset", "bbox", "bbox-crs", "crs", "properties", "sortby", "filter", "filter-lang",
             "filter-crs", "type_offre"]
    mvt = {"application/vnd.mapbox-vector-tile": {"schema": {"type": "string", "format": "binary"}}}
    paths = {
        "/": _op("getLandingPage", "Page d'accueil", ["f"], _JSON, "Capabilities"),
        "/conformance": _op("getConformance", "Classes de conformité", ["f"], _JSON, "Capabilities"),
        "/api": _op("getApi", "Cette définition", ["f"], _JSON, "Capabilities"),
        "/collections": _op("getCollections", "Collections", ["f"], _JSON, "Capabilities"),
        "/collections/{collectionId}": _op("describeCollection", "Une collection", ["collectionId", "f"],
                                           _JSON, "Capabilities"),
        "/collections/{collectionId}/queryables": _op(
            "getQueryables", "Propriétés interrogeables", ["collectionId", "f"],
            {"application/schema+json": {"schema": {"type": "object"}}}, "Filter"),
        "/collections/{collectionId}/items": _op("getFeatures", "Entités", ["collectionId", "fItems", *query],
                                                 _GEO, "Data"),
        "/collections/{collectionId}/items/{featureId}": _op(
            "getFeature", "Une entité", ["collectionId", "featureId", "f", "crs", "type_offre"], _GEO, "Data"),
        "/collections/{collectionId}/download": _op(
            "download", "Téléchargement (GeoJSON, GeoPackage, FlatGeobuf, CSV)", ["collectionId", "fItems", *query],
            {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}, "Data"),
        "/tileMatrixSets": _op("getTileMatrixSets", "Jeux de matrices de tuiles", [], _JSON, "Tiles"),
        "/tileMatrixSets/{tileMatrixSetId}": _op("getTileMatrixSet", "WebMercatorQuad", ["tms"], _JSON, "Tiles"),
        "/collections/{collectionId}/tiles": _op("getTileSets", "Jeux de tuiles", ["collectionId"], _JSON, "Tiles"),
        "/collections/{collectionId}/tiles/{tileMatrixSetId}": _op(
            "getTileSet", "Jeu de tuiles", ["collectionId", "tms"], _JSON, "Tiles"),
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson.json": _op(
            "getTileJSON", "TileJSON", ["collectionId", "tms", "type_offre", "filter"], _JSON, "Tiles"),
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileCol}/{tileRow}": _op(
            "getTile", "Tuile vectorielle (MVT)", ["collectionId", "tms", "z", "x", "y", "type_offre", "filter",
                                                   "filter-lang", "properties"], mvt, "Tiles"),
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "ror-gis — OGC API Features et Tiles", "version": "1.0.0",
                 "description": "Collections : " + ", ".join(collections)},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "parameters": _parameters(collections),
            "schemas": {"Error": {"type": "object", "required": ["detail", "code"],
                                  "properties": {"detail": {"type": "string"}, "code": {"type": "string"}}}},
        },
    }
