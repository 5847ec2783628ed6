from tests.fhir_support import fhir_server, fhir_source_url, target_factory  # noqa: F401 - fixtures
