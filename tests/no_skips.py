"""pytest plugin: a run with any skipped test fails (issue #8: browser tests must never skip silently in CI).

Loaded by ``scripts/run-tests.sh`` (``-p tests.no_skips``), hence by ``make test`` and CI. Expected failures
(``xfail``) are not skips and are allowed. Set ``ROR_GIS_ALLOW_SKIPS=1`` to let skips pass (local runs only).
"""

from __future__ import annotations

import os

import pytest

_skipped: list[str] = []


def _enabled() -> bool:
    return os.environ.get("ROR_GIS_ALLOW_SKIPS", "") not in ("1", "true", "yes")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember every skipped test (in any phase: a skipping fixture skips in ``setup``)."""
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A module skipped at collection (``pytest.importorskip`` at module level) counts too."""
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the skipped tests at the end of the report."""
    if _skipped and _enabled():
        terminalreporter.section("skipped tests are failures (tests/no_skips.py)", red=True)
        for nodeid in _skipped:
            terminalreporter.line(f"SKIPPED {nodeid}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Turn a passing run with skips into a failing one (exit code 1)."""
    if _skipped and _enabled() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
