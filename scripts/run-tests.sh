#!/usr/bin/env bash
# Lint and the whole test suite, with the tools of .venv (run scripts/bootstrap.sh --with-browser first;
# `make test` does both). Runs pytest even when ruff fails; exits non-zero if either failed,
# including pytest's exit code 5 ("no tests collected").
# Extra arguments go to pytest, e.g. scripts/run-tests.sh -k geography -x
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${VENV:-.venv}

echo "== ruff check . =="
"$VENV/bin/ruff" check .
ruff_rc=$?

echo "== pytest $* =="
"$VENV/bin/pytest" "$@"
pytest_rc=$?

if [[ $pytest_rc -eq 5 ]]; then
  echo "run-tests: pytest collected no tests (exit 5): counted as a failure" >&2
fi
if [[ $ruff_rc -ne 0 || $pytest_rc -ne 0 ]]; then
  echo "run-tests: FAILED (ruff exit $ruff_rc, pytest exit $pytest_rc)" >&2
  [[ $pytest_rc -ne 0 ]] && exit "$pytest_rc"
  exit "$ruff_rc"
fi
echo "run-tests: OK (ruff and pytest passed)"
