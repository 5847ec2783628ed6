from tests.fhir_support import fhir_source_url, fhir_uncached_server, target_factory  # noqa: F401 - fixtures
