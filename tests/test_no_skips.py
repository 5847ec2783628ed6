"""The plugin tests/no_skips.py: a pytest run with a skipped test fails; passes and xfails do not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, body: str, **env: str) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_tiny.py"
    test.write_text("import pytest\n\n" + body, encoding="utf-8")
    (tmp_path / "test_other.py").write_text("def test_other():\n    pass\n", encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k != "ROR_GIS_ALLOW_SKIPS"}
    environ.update(PYTHONPATH=str(REPO), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.no_skips", "-p", "no:cacheprovider", "-q",
         "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env=environ, timeout=120,
    )


def test_a_skipped_test_fails_the_run(tmp_path):
    done = _run(tmp_path, "def test_ok():\n    pass\n\ndef test_skip():\n    pytest.skip('no chromium')\n")
    assert done.returncode == 1, done.stdout
    assert "SKIPPED" in done.stdout and "test_tiny.py::test_skip" in done.stdout


def test_a_skipping_fixture_fails_the_run(tmp_path):
    body = "@pytest.fixture\ndef browser():\n    pytest.skip('no chromium')\n\ndef test_page(browser):\n    pass\n"
    assert _run(tmp_path, body).returncode == 1


def test_a_module_skipped_at_collection_fails_the_run(tmp_path):
    body = "pytest.importorskip('a_module_that_does_not_exist')\n\ndef test_x():\n    pass\n"
    assert _run(tmp_path, body).returncode == 1


def test_passes_and_xfails_pass(tmp_path):
    body = "def test_ok():\n    pass\n\n@pytest.mark.xfail(strict=True)\ndef test_known():\n    assert False\n"
    done = _run(tmp_path, body)
    assert done.returncode == 0, done.stdout


def test_skips_can_be_allowed_locally(tmp_path):
    done = _run(tmp_path, "def test_skip():\n    pytest.skip('x')\n", ROR_GIS_ALLOW_SKIPS="1")
    assert done.returncode == 0, done.stdout
