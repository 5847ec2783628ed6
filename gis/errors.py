"""Domain exceptions. The API maps each class to one HTTP status (``api/errors.py``).

Messages are written for people and are in French; they never contain SQL or stack traces.
"""

from __future__ import annotations

from typing import Any


class RorGisError(Exception):
    """Base class of the domain errors."""

    code = "erreur"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(RorGisError):
    """The thing asked for does not exist."""

    code = "introuvable"


class InvalidInput(RorGisError):
    """A parameter or an uploaded file is malformed."""

    code = "saisie_invalide"


class DataNotLoaded(RorGisError):
    """A reference table the request needs is empty (the loaders have not run)."""

    code = "donnees_absentes"


class SourceUnavailable(RorGisError):
    """A source file is missing and could not be downloaded."""

    code = "source_indisponible"


class ImportFailed(RorGisError):
    """An import was rolled back; ``details`` holds the rejection report."""

    code = "import_echoue"


class Saturated(RorGisError):
    """Too many requests are already waiting for the database (answered 503 with ``Retry-After``)."""

    code = "service_sature"


class DatabaseUnavailable(RorGisError):
    """The database cannot be reached."""

    code = "base_indisponible"


class PayloadTooLarge(InvalidInput):
    """An uploaded file exceeds a size limit (bytes, decompressed bytes, sheets, rows, columns, cells).

    A subclass of :class:`InvalidInput` so that a handler that does not know it still answers 422;
    ``api/errors.py`` maps it to 413.
    """

    code = "trop_volumineux"


class NotAuthenticated(RorGisError):
    """Credentials are required, or those presented are invalid, expired or revoked (401)."""

    code = "authentification_requise"


class Forbidden(RorGisError):
    """The principal is known but may not do this (403)."""

    code = "acces_refuse"


class RateLimited(RorGisError):
    """Too many requests of one kind from one client: answered 429 with ``Retry-After`` (``retry_after`` seconds)."""

    code = "trop_de_demandes"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
