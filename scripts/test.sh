#!/usr/bin/env bash
# Set up (virtualenv, package, system packages) and run every check: lint, format,
# types and the whole test suite. Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/lib/bootstrap.sh"
ensure_system_packages test
ensure_venv all,dev
cd "$REPO_ROOT"
say "ruff check"
"$VENV/bin/ruff" check .
say "ruff format --check"
"$VENV/bin/ruff" format --check .
say "mypy"
"$VENV/bin/mypy"
say "pytest"
exec "$VENV/bin/python" -m pytest "$@"
