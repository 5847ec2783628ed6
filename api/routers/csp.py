"""``POST /csp-report``: Content-Security-Policy violation reports, logged (never stored).

Browsers send ``application/csp-report`` (``report-uri``) or ``application/reports+json``
(``report-to``). The body is read up to :data:`MAX_BODY` bytes, the useful fields are logged with the
standard :mod:`logging` module (each value truncated), and the answer is always ``204``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_map.security import CSP_REPORT_PATH

router = APIRouter(tags=["sécurité"])
logger = logging.getLogger("ror_gis.csp")

MAX_BODY = 16 * 1024
MAX_REPORTS = 10
_FIELD_MAX = 300
# report-uri names, then report-to (Reporting API) names, mapped to one vocabulary.
_FIELDS = {
    "document-uri": "document", "documentURL": "document",
    "violated-directive": "directive", "effective-directive": "directive", "effectiveDirective": "directive",
    "blocked-uri": "blocked", "blockedURL": "blocked",
    "source-file": "source", "sourceFile": "source",
    "line-number": "line", "lineNumber": "line",
    "disposition": "disposition", "sample": "sample", "script-sample": "sample",
}


async def _read_bounded(request: Request) -> tuple[bytes, bool]:
    """At most MAX_BODY bytes of the body; True when the body was longer (the rest is not read)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return body[:MAX_BODY], True
    return body, False


def _clean(value: Any) -> str:
    text = str(value).replace("\r", "\\r").replace("\n", "\\n")
    return text[:_FIELD_MAX]


def summarise(payload: Any) -> list[dict[str, str]]:
    """The violations of a report body (either format), as short flat dicts of strings."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        bodies = [payload["csp-report"]]
    elif isinstance(payload, list):
        bodies = [r.get("body") for r in payload[:MAX_REPORTS]
                  if isinstance(r, dict) and r.get("type") == "csp-violation" and isinstance(r.get("body"), dict)]
    else:
        bodies = []
    out = []
    for body in bodies:
        out.append({name: _clean(body[key]) for key, name in _FIELDS.items() if body.get(key) not in (None, "")})
    return out


@router.post(CSP_REPORT_PATH, status_code=204, include_in_schema=False)
async def csp_report(request: Request) -> Response:
    """Log the violations of a CSP report; always 204 (a browser never retries, a bad body is ignored)."""
    body, truncated = await _read_bounded(request)
    try:
        payload = json.loads(body) if not truncated else None
    except ValueError:
        payload = None
    violations = summarise(payload)
    if not violations:
        logger.info("CSP report ignored (%s bytes%s, unreadable)", len(body), ", truncated" if truncated else "")
    for v in violations:
        logger.warning("CSP violation: %s", " ".join(f"{k}={v[k]!r}" for k in sorted(v)))
    return Response(status_code=204, headers={"Cache-Control": "no-store"})
