"""The OpenAPI document, made truthful to the loaded data: the filter parameters list the codes the current
nomenclatures accept (what the API checks), regenerated when the data version changes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.dataversion import DataState
from gis.layers.filters import FILTER_SQL


def install(app: FastAPI, state: DataState) -> None:
    """Replace ``app.openapi`` by a generator that adds the nomenclature codes as enums, cached per version."""
    cache: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        key = state.version
        if key is not None and cache.get("version") == key:
            return cache["schema"]  # type: ignore[no-any-return]
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        if state.catalog:
            _add_code_enums(schema, state.catalog)
        _add_bearer(schema)
        if key is not None:
            cache.update(version=key, schema=schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_code_enums(schema: dict[str, Any], catalog: dict[str, frozenset[str]]) -> None:
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for param in operation.get("parameters", []):
                entry = FILTER_SQL.get(param.get("name", ""))
                codes = catalog.get(entry[0]) if entry else None
                if not codes or param.get("in") != "query":
                    continue
                items = param.get("schema", {}).get("items")
                if items is not None:
                    items.pop("pattern", None)
                    # An empty value means "no filter" (HTML forms), except where a code is required.
                    items["enum"] = sorted(codes) if param.get("required") else ["", *sorted(codes)]


def _add_bearer(schema: dict[str, Any]) -> None:
    """Declare the optional bearer credential (API token or OpenID Connect JWT): anonymous is the public."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["jeton"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "Jeton d'API (`ror-gis tokens create`) ou jeton OpenID Connect (JWT) selon la configuration. "
        "Facultatif : sans jeton, les réponses sont celles du public ; avec un jeton, les contacts et unités "
        "que son rôle permet de voir.",
    }
    schema["security"] = [{}, {"jeton": []}]
