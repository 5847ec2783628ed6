"""Reference geography sources: the manifest ``sources.toml`` (package data, read by ``gis.sources``).

Nothing here imports ``gis``: the loaders live in ``gis.sources`` and ``gis.importers.geography``.
"""
