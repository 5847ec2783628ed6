"""The harvester's HTTP client: Retry-After (seconds or HTTP date), 429 retried, other 4xx not retried."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from gis.errors import SourceUnavailable
from gis.sync.client import ClientOptions, FhirClient, retry_after
from tests.gis.sync.proxy import FaultProxy, on_requests


def test_retry_after_values():
    assert retry_after("3", 0.5) == 3.0
    assert retry_after(None, 0.5) == 0.5 and retry_after("bientôt", 0.5) == 0.5
    assert 8 <= retry_after(formatdate(time.time() + 10, usegmt=True), 0.5) <= 10
    assert retry_after("3600", 0.5) == 60.0  # bounded


def test_429_is_retried_and_a_404_is_not(fhir_uncached_server):
    sleeps: list[float] = []
    with FaultProxy(fhir_uncached_server.url) as proxy, \
            FhirClient(ClientOptions(retries=2, backoff_s=0.01), sleep=sleeps.append) as client:
        proxy.faults = [on_requests({1}, "429")]
        assert client.get(proxy.url + "/fhir/metadata")["resourceType"] == "CapabilityStatement"
        assert sleeps == [1.0] and client.retried == 1
        with pytest.raises(SourceUnavailable, match="HTTP 404.*non pris en charge"):
            client.get(proxy.url + "/fhir/Patient")
        assert client.retried == 1
