"""Coverage: which offers cover which commune, and why — precomputed into ``couverture``.

(Implementation in progress; the signature is stable.)
"""

from __future__ import annotations

import psycopg


def refresh(conn: psycopg.Connection, offre_ids: list[int] | None = None) -> int:
    """Recompute coverage rows for the given offers (all offers when None). Returns rows written."""
    return 0
