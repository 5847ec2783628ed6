"""Source manifests and loaders for reference data (no data is copied into the repository)."""
