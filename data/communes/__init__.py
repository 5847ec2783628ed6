"""Reference geography sources: manifest (``sources.toml``), fetching and readers."""
