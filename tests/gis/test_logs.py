"""gis.logs: text or JSON log lines, configured once, for the CLI and for ``ror-gis serve`` (uvicorn)."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gis import logs

REPO = Path(__file__).resolve().parents[2]


def _record(msg: str = "chargé %s lignes", args: tuple[object, ...] = (12,), **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("gis.importers.x", logging.WARNING, __file__, 7, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_time_level_logger_message_and_extras():
    line = logs.JsonFormatter().format(_record(run_id=42, source="finess.csv"))
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "gis.importers.x"
    assert entry["message"] == "chargé 12 lignes"
    assert entry["run_id"] == 42 and entry["source"] == "finess.csv"
    assert entry["time"].endswith("+00:00")
    assert "\n" not in line and "args" not in entry and "msg" not in entry


def test_json_lines_hold_exceptions_and_values_json_cannot():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "échec", (), sys.exc_info())
    record.path = Path("/tmp/a b")
    entry = json.loads(logs.JsonFormatter().format(record))
    assert "ValueError: boom" in entry["exception"] and entry["path"] == "/tmp/a b"


def test_text_is_the_message_alone_and_unknown_formats_are_refused():
    assert logs.formatter("text").format(_record()) == "chargé 12 lignes"
    with pytest.raises(ValueError, match="xml"):
        logs.formatter("xml")  # type: ignore[arg-type]


def test_configure_installs_one_handler_on_the_current_stderr(capsys):
    root = logging.getLogger()
    level = root.level
    try:
        logs.configure("json")
        logs.configure("json")  # twice: still one line per record
        logging.getLogger("gis.test").info("bonjour %s", "Paris")
        lines = capsys.readouterr().err.strip().splitlines()
        assert [json.loads(x)["message"] for x in lines] == ["bonjour Paris"]
        logs.configure("text")
        logging.getLogger("gis.test").info("au revoir")
        assert capsys.readouterr().err == "au revoir\n"
    finally:
        for h in [h for h in root.handlers if getattr(h, "_ror_gis", False)]:
            root.removeHandler(h)
        root.setLevel(level)


def test_the_format_comes_from_the_setting(monkeypatch, capsys):
    from gis.settings import get_settings

    monkeypatch.setenv("ROR_GIS_LOG_FORMAT", "json")
    get_settings.cache_clear()
    root = logging.getLogger()
    try:
        logs.configure()
        logging.getLogger("gis.test").warning("attention")
        assert json.loads(capsys.readouterr().err)["level"] == "WARNING"
    finally:
        get_settings.cache_clear()
        for h in [h for h in root.handlers if getattr(h, "_ror_gis", False)]:
            root.removeHandler(h)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_uvicorn_config_is_a_valid_dictconfig(fmt):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logging.config.dictConfig(logs.uvicorn_config(fmt))  # raises on a malformed configuration
        handler = logging.getLogger("uvicorn").handlers[0]
        assert isinstance(handler.formatter, logs.JsonFormatter) == (fmt == "json")
        assert logging.getLogger("uvicorn.access").handlers == [handler]
    finally:
        for name in ("uvicorn", "uvicorn.access"):
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).propagate = True
        root.handlers[:], root.level = saved


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ror_gis_serve_writes_json_lines(db_url, tmp_path):
    """A real `ror-gis serve` with ROR_GIS_LOG_FORMAT=json: uvicorn's own lines and the access log are JSON."""
    port = _free_port()
    env = {**os.environ, "ROR_GIS_LOG_FORMAT": "json", "ROR_GIS_DATABASE_URL": db_url, "ROR_GIS_ACCESS_LOG": "true"}
    err = (tmp_path / "stderr").open("w+", encoding="utf-8")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "ror-gis"), "serve", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.3)
        time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    err.seek(0)
    lines = [x for x in err.read().splitlines() if x.startswith("{")]
    entries = [json.loads(x) for x in lines]
    assert any(e["logger"].startswith("uvicorn.error") and "startup" in e["message"].lower() for e in entries), lines
    assert any(e["logger"] == "uvicorn.access" and "/health" in e["message"] for e in entries), lines
