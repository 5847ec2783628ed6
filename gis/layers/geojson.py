"""GeoJSON FeatureCollections built by PostgreSQL and returned as text (RFC 7946, WGS84, 5 decimals).

Python never loops over the features of a request: the layers give a query of rows with an ``id``, a ``properties``
JSON object and a ``geometry`` JSON value; :func:`collection_sql` wraps it into one ``FeatureCollection``.
"""

from __future__ import annotations

from psycopg import sql


def collection_sql(rows: sql.Composable, *, order: str = "id", extra: sql.Composable | None = None) -> sql.Composed:
    """Return SQL returning one text column, the FeatureCollection of ``rows`` (columns id, properties, geometry).

    Parameters
    ----------
    rows : psycopg.sql.Composable
        A SELECT giving ``id``, ``properties`` (json) and ``geometry`` (json or NULL).
    order : str
        Column of ``rows`` ordering the features.
    extra : psycopg.sql.Composable, optional
        More ``'key', value`` pairs of the FeatureCollection object (computed over ``f``, the rows).

    Returns
    -------
    psycopg.sql.Composed
        ``SELECT json_build_object('type', 'FeatureCollection', 'features', [...], ...)::text``.
    """
    more = sql.SQL(", ") + extra if extra is not None else sql.SQL("")
    return sql.SQL("""
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', f.id, 'properties', f.properties, 'geometry', f.geometry)
                ORDER BY f.{order}), '[]'){more})::text
          FROM ({rows}) f
    """).format(rows=rows, order=sql.Identifier(order), more=more)
