"""Source manifests of the reference data (no data is copied into the repository; no code imports ``gis``)."""
