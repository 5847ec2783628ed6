"""A FHIR HTTP client for harvesting.

Retries with exponential backoff on 429, 5xx, timeouts, connection errors and truncated or non-JSON bodies,
honouring ``Retry-After``; bearer token; client certificate.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from gis.errors import SourceUnavailable

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_WAIT_S = 60.0


@dataclass
class ClientOptions:
    """Connection options of the harvester."""

    token: str | None = None
    cert: str | None = None
    key: str | None = None
    ca: str | None = None
    timeout_s: float = 30.0
    retries: int = 5
    backoff_s: float = 0.5


def retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), else ``default``."""
    if not value:
        return default
    try:
        return min(MAX_WAIT_S, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return min(MAX_WAIT_S, max(0.0, moment.timestamp() - time.time()))


def tls_context(options: ClientOptions) -> ssl.SSLContext:
    """Return the TLS settings of the harvest.

    The system's trusted roots (or ``ca``, e.g. the IGC-Santé chain) and the client certificate for mutual TLS
    (``cert`` + ``key``, PEM).
    """
    context = ssl.create_default_context(cafile=options.ca) if options.ca else ssl.create_default_context()
    if options.cert:
        context.load_cert_chain(options.cert, options.key)
    return context


class FhirClient:
    """GET FHIR JSON with retries (see the module docstring); use as a context manager."""

    def __init__(self, options: ClientOptions, *, sleep: Callable[[float], None] = time.sleep) -> None:
        headers = {"Accept": "application/fhir+json"}
        if options.token:
            headers["Authorization"] = f"Bearer {options.token}"
        self.options = options
        self.sleep = sleep
        self.retried = 0
        self.http = httpx.Client(headers=headers, verify=tls_context(options), timeout=options.timeout_s,
                                 follow_redirects=True)

    def __enter__(self) -> FhirClient:
        """Open the client (its HTTP session is already open)."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the HTTP session."""
        self.http.close()

    def get(self, url: str, params: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        """Return the JSON resource at ``url``.

        Raises
        ------
        SourceUnavailable
            After the retries are exhausted, or at once for a 4xx other than 429 (French message).
        """
        attempt = 0
        while True:
            wait = self.options.backoff_s * 2 ** attempt
            try:
                # params=None keeps the query of a `next` link as it is (an empty list would erase it)
                response = self.http.get(url, params=params)  # type: ignore[arg-type]  # list of str pairs
                if response.status_code in RETRY_STATUSES:
                    problem = f"réponse HTTP {response.status_code}"
                    wait = retry_after(response.headers.get("retry-after"), wait)
                elif response.status_code >= 400:
                    raise SourceUnavailable(f"Le serveur FHIR a refusé la requête (HTTP {response.status_code}) : "
                                            f"{_diagnostics(response)}")
                else:
                    body = response.json()
                    if isinstance(body, dict) and isinstance(body.get("resourceType"), str):
                        return body
                    problem = "réponse qui n'est pas une ressource FHIR"
            except httpx.TimeoutException:
                problem = "délai d'attente dépassé"
            except (httpx.TransportError, ValueError) as exc:
                problem = "réponse tronquée ou illisible" if isinstance(exc, ValueError) else "connexion impossible"
            attempt += 1
            if attempt > self.options.retries:
                raise SourceUnavailable(f"Serveur FHIR injoignable après {self.options.retries} nouvelles tentatives "
                                        f"({problem}).")
            log.warning("FHIR %s : %s, nouvelle tentative %d dans %.1f s", url, problem, attempt, wait)
            self.retried += 1
            self.sleep(wait)


def _diagnostics(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body["issue"][0].get("diagnostics") or body["issue"][0]["details"]["text"])[:300]
    except (ValueError, KeyError, IndexError, TypeError):
        return "(sans détail)"
