#!/usr/bin/env bash
# Set up a virtual environment with the project and its test tools, then lint, type-check and test.
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
echo "== ruff"
.venv/bin/ruff check src tests examples benchmarks
.venv/bin/ruff format --check src tests examples benchmarks
echo "== mypy (strict, src/replyassist)"
.venv/bin/mypy
echo "== services (PostgreSQL, Redis, Chromium)"
bash scripts/services.sh
echo "== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
