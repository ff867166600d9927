#!/usr/bin/env bash
# The test command: start the services the tests talk to (PostgreSQL, Redis, Milvus;
# see scripts/stack.sh services), export their settings from .stack/services.env, and
# run `swift test` with any extra arguments, e.g. scripts/test.sh --filter RagdHTTPTests.
# The tests start their own nginx and ragd instances; the services stay up afterwards
# (scripts/stack.sh down stops them).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stack=${RAGD_STACK_DIR:-$repo/.stack}

"$repo/scripts/stack.sh" services
set -a
# shellcheck source=/dev/null
. "$stack/services.env"
set +a

cd "$repo"
exec swift test "$@"
