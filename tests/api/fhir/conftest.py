from collections.abc import Iterator

import httpx
import pytest

from tests.fhir_support import fhir_server, fhir_source_url, target_factory  # noqa: F401 - fixtures


@pytest.fixture(scope="module")
def fhir(fhir_server) -> Iterator[httpx.Client]:  # noqa: F811 - the fixture above
    """An HTTP client on the test server's /fhir."""
    with httpx.Client(base_url=fhir_server.url + "/fhir", timeout=30) as client:
        yield client
