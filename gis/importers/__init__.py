"""Importers: reference geography, nomenclatures, FINESS, establishment files, ROR FHIR."""
