#!/usr/bin/env bash
# Benchmark GET /health through nginx: ragd vs C libfcgi vs php-fpm vs FastAPI.
# All settings come from the environment; see bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The driver needs only the standard library; prefer the system interpreter.
py=/usr/bin/python3
[ -x "$py" ] || py="$(command -v python3)"
exec "$py" "$here/bench.py" "$@"
