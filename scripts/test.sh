#!/usr/bin/env bash
# Fresh machine -> test results: set up, lint, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check hipform tests benchmarks
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
  echo "test: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
