"""Map widgets (HTML pages embeddable in an iframe). Filled in by the web_map work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["cartes"])
