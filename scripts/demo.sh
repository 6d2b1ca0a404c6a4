#!/usr/bin/env bash
# Set up (virtualenv, package, system packages) and run the demo: ./scripts/demo.sh [demo options]
source "$(dirname "${BASH_SOURCE[0]}")/lib/bootstrap.sh"
ensure_system_packages demo
ensure_venv all
exec "$VENV/bin/homecare" demo "$@"
