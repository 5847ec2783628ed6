"""HTML responses of the pages and widgets (the HTTP side of :mod:`web_map`).

``error_response(settings, status_code=..., title=..., message=...)`` is the French HTML error page used by
the error table in :mod:`api.errors` for ``/`` and ``/cartes/*``.
"""

from __future__ import annotations

from web_map.base import error_response

__all__ = ["error_response"]
