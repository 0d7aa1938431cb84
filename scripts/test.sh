#!/usr/bin/env bash
# Set up a virtual environment with the project, both helpdesk plug-ins and the test tools; make sure
# PostgreSQL, Redis and Chromium are there; then lint, type-check and test.
# Usage: bash scripts/test.sh [pytest args]   (with args: only that pytest run, over the core's tests)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' -e integrations/zendesk -e integrations/freshdesk
LINTED="src tests examples benchmarks integrations"
echo "== ruff"
.venv/bin/ruff check $LINTED
.venv/bin/ruff format --check $LINTED
echo "== mypy (strict: src/replyassist and both plug-ins)"
.venv/bin/mypy
(cd integrations/zendesk && ../../.venv/bin/mypy)
(cd integrations/freshdesk && ../../.venv/bin/mypy)
echo "== services (PostgreSQL, Redis, Chromium)"
bash scripts/services.sh
echo "== pytest"
PYTEST=(.venv/bin/python -m pytest -q -p no:cacheprovider --timeout=600)
if [ $# -gt 0 ]; then
  "${PYTEST[@]}" "$@"
  exit
fi
"${PYTEST[@]}" tests
echo "== pytest: replyassist-zendesk"
(cd integrations/zendesk && "../../${PYTEST[0]}" "${PYTEST[@]:1}" tests)
echo "== pytest: replyassist-freshdesk"
(cd integrations/freshdesk && "../../${PYTEST[0]}" "${PYTEST[@]:1}" tests)
