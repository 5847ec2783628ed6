#!/usr/bin/env bash
# Static checks and the whole test suite, with the tools of .venv (run scripts/bootstrap.sh --with-browser first;
# `make test` does both):
#   ruff check .     lint (rules in pyproject.toml [tool.ruff])
#   mypy             types, strict (scope and not-yet-typed modules in pyproject.toml [tool.mypy])
#   lint-imports     dependencies go one way (contracts in pyproject.toml [tool.importlinter])
#   deptry .         dependencies declared exactly as imported (pyproject.toml [tool.deptry])
#   pytest           the suite; a skipped test fails the run (plugin tests/no_skips.py)
# Every step runs even when an earlier one fails; exits non-zero if any failed, including pytest's exit code 5
# ("no tests collected").
# Extra arguments go to pytest, e.g. scripts/run-tests.sh -k geography -x
# Environment: CHECKS="ruff mypy imports deptry pytest" (default: all) to run only some steps.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${VENV:-.venv}
CHECKS=${CHECKS:-ruff mypy imports deptry pytest}

failed=()
pytest_rc=0

want() { [[ " $CHECKS " == *" $1 "* ]]; }

step() {  # step NAME COMMAND...: run, remember a failure
  local name=$1; shift
  echo "== $name: $* =="
  "$@"
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    failed+=("$name (exit $rc)")
  fi
  return $rc
}

want ruff && step ruff "$VENV/bin/ruff" check .
want mypy && step mypy "$VENV/bin/mypy"
want imports && step import-linter "$VENV/bin/lint-imports"
want deptry && step deptry "$VENV/bin/deptry" .

if want pytest; then
  # python -m puts the checkout on sys.path, so that the plugin tests.no_skips can be imported.
  step pytest "$VENV/bin/python" -m pytest -p tests.no_skips "$@"
  pytest_rc=$?
  if [[ $pytest_rc -eq 5 ]]; then
    echo "run-tests: pytest collected no tests (exit 5): counted as a failure" >&2
  fi
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "run-tests: FAILED: ${failed[*]}" >&2
  [[ $pytest_rc -ne 0 ]] && exit "$pytest_rc"
  exit 1
fi
echo "run-tests: OK ($CHECKS)"
