"""Harvesting a ROR FHIR server into ror-gis (``ror-gis sync fhir BASE_URL``).

``client`` fetches pages with retries (429 / 5xx / timeouts / truncated bodies, backoff honouring
``Retry-After``), bearer token and client certificate; ``harvest`` walks the searchset pages, applies
each page in one transaction through the FHIR importer, keeps a resumable cursor and the incremental
``_lastUpdated`` high-water mark in ``data_source``, removes the offers the server no longer publishes,
and records the run in the import history.
"""

from gis.sync.harvest import SyncResult, sync_fhir

__all__ = ["SyncResult", "sync_fhir"]
