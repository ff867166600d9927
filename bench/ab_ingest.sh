#!/usr/bin/env bash
# Ingest throughput of two ragd builds in ONE run (issue 10: "not lower than today's"):
#
#   bench/ab_ingest.sh OLD_BIN NEW_BIN [ORDER] [-- bench script and its arguments]
#   (MID_BIN=path adds a third build, the label "mid" in ORDER)
#
# For each entry of ORDER (default "old new new old") restarts the stack's ragd with that
# binary on a fresh PostgreSQL database and a fresh Milvus collection (so neither build
# sees the other's schema or data), then runs the bench script (default `bench/rag.py
# --queries 0`: 400 documents, 11,880 chunks, 4 clients). Uses the stack of
# RAGD_STACK_DIR & co. (scripts/stack.sh up --release must have run; nginx, PostgreSQL,
# Redis and Milvus stay up); its ragd.env.local is rewritten (RATE_LIMIT_PER_MINUTE
# lifted, DATABASE_URL, MILVUS_COLLECTION) and restored at the end.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK=${RAGD_STACK_DIR:-$REPO/.stack}
OLD=$1 NEW=$2
shift 2
ORDER="old new new old"
if [ $# -gt 0 ] && [ "$1" != -- ]; then ORDER=$1; shift; fi
[ "${1:-}" = -- ] && shift
BENCH=("$@")
[ ${#BENCH[@]} -eq 0 ] && BENCH=(python3 "$REPO/bench/rag.py" --queries 0)

. "$STACK/services.env"
LOCAL=$STACK/ragd.env.local
SAVED=$(cat "$LOCAL" 2>/dev/null || true)
trap 'printf "%s\n" "$SAVED" >"$LOCAL"' EXIT
stamp=$(date +%s)
run=0
for label in $ORDER; do
    run=$((run + 1))
    case $label in old) bin=$OLD ;; new) bin=$NEW ;; mid) bin=${MID_BIN:?MID_BIN is not set} ;; *) echo "unknown label $label" >&2; exit 2 ;; esac
    db=ragdb_ab_${stamp}_${run}_${label}
    psql -q "$DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
    cat >"$LOCAL" <<ENV
$SAVED
RATE_LIMIT_PER_MINUTE=100000000
DATABASE_URL=${DATABASE_URL%/*}/$db
MILVUS_COLLECTION=ab_${stamp}_${run}_${label}
ENV
    if [ -s "$STACK/ragd/ragd.pid" ] && kill -0 "$(cat "$STACK/ragd/ragd.pid")" 2>/dev/null; then
        pid=$(cat "$STACK/ragd/ragd.pid")
        kill -TERM "$pid"
        while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    fi
    RAGD_BIN=$bin "$REPO/scripts/stack.sh" up --release >/dev/null
    echo "=== run $run: $label ($bin), $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
    RAGD_BIN=$bin "${BENCH[@]}"
    echo "=== end of run $run, load $(cut -d' ' -f1-3 /proc/loadavg)"
done
