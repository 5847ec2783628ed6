"""Intervention territories: expansion of ROR code lists, geometry building, coverage."""
