"""HTTP routers: each a thin layer over the gis domain functions."""
