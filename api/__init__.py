"""FastAPI application of ror-gis: thin routers over the ``gis`` domain functions."""
