"""Numbered SQL migrations, applied in order by :func:`gis.db.migrate`."""
