"""ror-gis domain and storage: schema, queries, importers for the ROR map service."""

__version__ = "0.1.0"
