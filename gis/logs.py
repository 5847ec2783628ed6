"""Logging configuration, in one place: plain text lines for people, one JSON object per line for servers.

The format comes from the setting ``ROR_GIS_LOG_FORMAT`` (``text`` or ``json``). The command line calls
:func:`configure` once; ``ror-gis serve`` passes :func:`uvicorn_config` to uvicorn so that its server and access
logs use the same format as the application's.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
FORMATS: tuple[LogFormat, ...] = ("text", "json")
TEXT_FORMAT = "%(message)s"

# Attributes every LogRecord has: anything else was passed through ``extra=`` and goes into the JSON object.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, extras.

    Values given with ``extra={...}`` are added as keys; values JSON cannot hold are written as ``str``.
    An exception adds ``exception`` (the formatted traceback).
    """

    def format(self, record: logging.LogRecord) -> str:
        """Format ``record`` as one line of JSON.

        Parameters
        ----------
        record
            The log record.

        Returns
        -------
        str
            The JSON object, without a newline.
        """
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler writing to whatever ``sys.stderr`` is at the time of each record.

    (So that a handler installed under a redirected stderr, e.g. click's ``CliRunner``, never writes to a closed
    stream later.)
    """

    @property
    def stream(self) -> Any:
        """The current ``sys.stderr``."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def formatter(fmt: LogFormat) -> logging.Formatter:
    """Return the formatter of a log format.

    Parameters
    ----------
    fmt
        ``"text"`` (the message alone) or ``"json"``.

    Returns
    -------
    logging.Formatter
        A :class:`JsonFormatter` or a plain ``logging.Formatter``.
    """
    if fmt == "json":
        return JsonFormatter()
    if fmt == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"unknown log format {fmt!r} (expected one of {', '.join(FORMATS)})")


def configure(fmt: LogFormat | None = None, *, level: int = logging.INFO) -> None:
    """Send the records of ``level`` and above to stderr, in the format ``fmt``.

    Replaces the handlers this function installed before (calling it twice does not duplicate lines) and leaves
    handlers installed by others (e.g. pytest's capture) alone.

    Parameters
    ----------
    fmt
        ``"text"`` or ``"json"``; default: the setting ``ROR_GIS_LOG_FORMAT``.
    level
        Lowest level shown.
    """
    if fmt is None:
        from gis.settings import get_settings

        fmt = get_settings().log_format
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_ror_gis", False)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(formatter(fmt))
    handler._ror_gis = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def uvicorn_config(fmt: LogFormat) -> dict[str, Any]:
    """Return a ``log_config`` for uvicorn writing its server and access logs in the format ``fmt``.

    Parameters
    ----------
    fmt
        ``"text"`` or ``"json"``.

    Returns
    -------
    dict
        A :func:`logging.config.dictConfig` dictionary: uvicorn's loggers and the root logger on stderr.
    """
    text = {"format": "%(levelname)s %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": JsonFormatter} if fmt == "json" else text},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "INFO"},
    }
