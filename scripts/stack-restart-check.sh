#!/usr/bin/env bash
# The local stack restarts reliably (scripts/stack.sh; README, Set up a machine): on a
# stack of its own (own ports, directories and Milvus), after heavy traffic,
#   1. `up`; ingest a document; heavy traffic: searches through nginx -> ragd -> Milvus,
#      and thousands of short connections straight to Milvus, which leave sockets of
#      its port in TIME_WAIT; a second `ragd serve` of the same binary (what another
#      stack looks like to a search by command line), younger than this stack's ragd;
#   2. `down`: every process of this stack stops, the second ragd keeps running; the
#      Milvus port still has TIME_WAIT sockets, so a plain bind() of it fails and
#      milvus-server's port probe would pick another port (the condition that used to
#      move Milvus to 19531 and 9092): checked, so the restart below proves something;
#   3. `up` again: Milvus listens on the same proxy and health ports (ss, its log), ragd
#      is ready, the document is still there and found by vector and keyword search,
#      and ragd's pid file names this stack's master, not the older ragd;
#   4. `down`, then a port held by something else: `services` fails within seconds,
#      naming the port (one held at the Milvus port, one at its embedded etcd's);
#   5. `down`.
#
#   scripts/stack-restart-check.sh          (as root; about 3 minutes; builds nothing)
#
# Settings (stack.sh's variables), defaults in brackets:
#   RAGD_BIN [.build/debug/ragd]   RAGD_STACK_DIR [.stack/restart-check]
#   RAGD_RUN_DIR [/run/ragd-restart]   RAGD_PG_PORT [55472]   RAGD_REDIS_PORT [56419]
#   RAGD_STACK_HTTP_PORT [8480]   RAGD_STACK_HTTPS_PORT [8843]   RAGD_LLM_PORT [58480]
#   RAGD_MILVUS_PORT [19630]   RAGD_MILVUS_HEALTH_PORT [9191]  (embedded etcd: 2479/2480)
# The Milvus ports must not be the shared default ones (19530/9091): the check stops
# and restarts its Milvus.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RAGD_BIN=${RAGD_BIN:-$repo/.build/debug/ragd}
export RAGD_STACK_DIR=${RAGD_STACK_DIR:-$repo/.stack/restart-check}
export RAGD_RUN_DIR=${RAGD_RUN_DIR:-/run/ragd-restart}
export RAGD_PG_PORT=${RAGD_PG_PORT:-55472}
export RAGD_REDIS_PORT=${RAGD_REDIS_PORT:-56419}
export RAGD_STACK_HTTP_PORT=${RAGD_STACK_HTTP_PORT:-8480}
export RAGD_STACK_HTTPS_PORT=${RAGD_STACK_HTTPS_PORT:-8843}
export RAGD_LLM_PORT=${RAGD_LLM_PORT:-58480}
export RAGD_MILVUS_PORT=${RAGD_MILVUS_PORT:-19630}
export RAGD_MILVUS_HEALTH_PORT=${RAGD_MILVUS_HEALTH_PORT:-9191}
unset RAGD_STACK_EMBEDDER RAGD_STACK_LLM
stack_sh=$repo/scripts/stack.sh
stack=$RAGD_STACK_DIR
venv_python=${RAGD_VENV:-/opt/ragd-venv}/bin/python
base=https://127.0.0.1:$RAGD_STACK_HTTPS_PORT
milvus_port=$RAGD_MILVUS_PORT health_port=$RAGD_MILVUS_HEALTH_PORT
etcd_peer_port=$((2380 + milvus_port - 19530))

say() { echo "restart-check: $*"; }
die() { echo "restart-check: error: $*" >&2; failed=$((${failed:-0} + 1)); exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (scripts/stack.sh needs it)"
[ -x "$RAGD_BIN" ] || die "no ragd binary at $RAGD_BIN (swift build, or set RAGD_BIN)"
if [ "$milvus_port" = 19530 ] || [ "$health_port" = 9091 ]; then
    die "RAGD_MILVUS_PORT/RAGD_MILVUS_HEALTH_PORT must not be the shared 19530/9091: this check restarts its Milvus"
fi

work=$(mktemp -d /tmp/ragd-restart-check.XXXXXX)
passed=0 failed=0
other_ragd="" holder_pid=""
cleanup() {
    if [ -n "$holder_pid" ]; then kill "$holder_pid" 2>/dev/null || true; fi
    if [ -n "$other_ragd" ]; then kill -TERM "$other_ragd" 2>/dev/null || true; fi
    "$stack_sh" down >"$work/final-down.log" 2>&1 || cat "$work/final-down.log" >&2
    # The logs of a failed run stay in the stack dir.
    if [ "$failed" != 0 ] && [ -d "$stack" ]; then
        rm -rf "$stack/restart-check-logs" && cp -r "$work" "$stack/restart-check-logs"
        cp "$stack/milvus/milvus-serve.log" "$stack/milvus/data/logs/milvus-stdout.log" "$stack/restart-check-logs/" 2>/dev/null || true
        echo "restart-check: logs in $stack/restart-check-logs" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT

check() { # check DESCRIPTION COMMAND...
    local desc=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok   - $desc"
    else failed=$((failed + 1)); echo "FAIL - $desc"; fi
}
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
    local polls=$(($1 * 5)); shift
    until "$@" 2>/dev/null; do
        polls=$((polls - 1)); [ $polls -gt 0 ] || return 1
        sleep 0.2
    done
}
json() { python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
api() { # api METHOD PATH [JSON]: the response body; the status goes to $work/status
    local args=(-ks -o "$work/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token")
    [ $# -lt 3 ] || args+=(-H 'Content-Type: application/json' --data-binary "$3")
    curl "${args[@]}" "$base$2" >"$work/status"
    cat "$work/body"
}
# The pid of the process listening on PORT (ss), empty when none.
listener_pid() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2; }
ours() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
# PID has exited: gone, or a zombie its new parent (init) has not reaped yet.
exited() {
    local line state
    line=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    state=${line##*) }  # "pid (comm) state ...": comm may contain ") "
    [ "${state%% *}" = Z ]
}
time_waits() { ss -tanH state time-wait "( sport = :$milvus_port )" | wc -l; }
# A bind() without SO_REUSEADDR, as milvus-server probes a port, fails (EADDRINUSE).
plain_bind_fails() {
    python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null && return 1
    return 0
}
# The port milvus-server's own search would choose now, starting at PORT.
milvus_server_choice() {
    "$venv_python" -c 'import sys; from milvus import MilvusServerConfig
p, s = MilvusServerConfig().resolve_port(int(sys.argv[1])); s.close(); print(p)' "$1"
}
proxy_port_in_log() {
    grep -ho '"Proxy server listen on tcp"\] \[port=[0-9]*' "$stack/milvus/data/logs/milvus-stdout.log" | tail -n 1 | grep -o '[0-9]*$'
}
ragd_master_of_this_stack() { # PID: a `ragd serve` master reading this stack's ragd.env
    tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qx "ENV_FILE=$stack/ragd.env" &&
        ! tr '\0' ' ' <"/proc/$(awk '{print $4}' "/proc/$1/stat")/cmdline" 2>/dev/null | grep -q ' serve'
}

# ---- 1. up, data, heavy traffic --------------------------------------------------------
say "stack dir $stack, Milvus on $milvus_port (health $health_port), HTTPS $base"
"$stack_sh" down >"$work/down0.log" 2>&1 || { cat "$work/down0.log" >&2; die "the initial down failed"; }
rm -rf "$stack/milvus/data"  # a fresh Milvus: its first start is part of the check
"$stack_sh" up >"$work/up1.log" 2>&1 || { tail -n 30 "$work/up1.log" >&2; die "the first up failed"; }
say "up: $(grep -c '^stack: starting' "$work/up1.log") services started"
check "first up: Milvus (pid file) listens on $milvus_port" ours "$stack/milvus/milvus.pid" "$(listener_pid "$milvus_port")"
check "first up: Milvus (pid file) listens on health port $health_port" ours "$stack/milvus/milvus.pid" "$(listener_pid "$health_port")"
check "ragd.env points ragd's MILVUS_MANAGEMENT_PORT at $health_port" grep -qx "MILVUS_MANAGEMENT_PORT=$health_port" "$stack/ragd.env"
check "services.env carries MILVUS_MANAGEMENT_PORT=$health_port for the tests" \
    grep -qx "MILVUS_MANAGEMENT_PORT=$health_port" "$stack/services.env"

token=$(ENV_FILE=$stack/ragd.env "$RAGD_BIN" token --tenant restart-check --scope "documents:read documents:write query")
marker="restartcheck$RANDOM$RANDOM"
doc=$(api POST /v1/documents "{\"title\": \"Restart check\", \"text\": \"The $marker lighthouse keeper logs every passing ship in a green ledger. Nobody else may write in it.\"}")
check "a document is ingested (201)" [ "$(cat "$work/status")" = 201 ]
doc_id=$(json 'j["id"]' <<<"$doc")
found_by() { # found_by MODE: a search finds the document
    local body
    body=$(api POST /v1/search "{\"query\": \"$marker lighthouse ledger\", \"mode\": \"$1\", \"top_k\": 5}")
    [ "$(cat "$work/status")" = 200 ] && [ "$(json "'$doc_id' in [r['document_id'] for r in j['results']]" <<<"$body")" = True ]
}
check "before the restart: vector search finds it" found_by vector
check "before the restart: keyword search finds it" found_by keyword

# Another ragd of the same binary, younger than this stack's: it must survive `down`.
env -i PATH=/usr/bin:/bin ENV_FILE="$stack/ragd.env" FCGI_LISTEN="unix:$work/other-ragd.sock" \
    FCGI_SOCKET_OWNER= WORKERS=1 THREADS=1 MIGRATE_ON_START=false "$RAGD_BIN" serve >"$work/other-ragd.log" 2>&1 &
other_ragd=$!
wait_for 60 test -S "$work/other-ragd.sock" || { cat "$work/other-ragd.log" >&2; die "the second ragd did not start"; }

say "heavy traffic: searches through nginx, short connections to Milvus"
# One token per searching thread: RATE_LIMIT_PER_MINUTE (100) counts per caller.
tokens=()
for n in 1 2 3 4; do
    tokens+=("$(ENV_FILE=$stack/ragd.env "$RAGD_BIN" token --tenant restart-check --subject "traffic-$n" --scope "documents:read")")
done
python3 - "$base" "$marker" "$milvus_port" "${tokens[@]}" <<'PY'
import http.client, json, ssl, sys, threading
base, marker, milvus_port, tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
context = ssl._create_unverified_context()
errors = []

def searches(n, mode, token):
    for _ in range(n):
        c = http.client.HTTPSConnection(base.split("//")[1], context=context, timeout=30)
        c.request("POST", "/v1/search", json.dumps({"query": marker, "mode": mode, "top_k": 3}),
                  {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = c.getresponse(); r.read(); c.close()
        if r.status != 200:
            errors.append(f"search {mode}: HTTP {r.status}")

def milvus_churn(n):
    # Connection: close makes Milvus close first: its side ends in TIME_WAIT.
    for _ in range(n):
        c = http.client.HTTPConnection("127.0.0.1", milvus_port, timeout=30)
        c.request("GET", "/v1/vector/collections", headers={"Connection": "close"})
        r = c.getresponse(); r.read(); c.close()
        if r.status != 200:
            errors.append(f"milvus: HTTP {r.status}")

threads = [threading.Thread(target=searches, args=(60, mode, token))
           for mode, token in zip(("vector", "hybrid", "keyword", "vector"), tokens)]
threads += [threading.Thread(target=milvus_churn, args=(500,)) for _ in range(6)]
for t in threads: t.start()
for t in threads: t.join()
if errors:
    sys.exit(f"traffic errors ({len(errors)}): {errors[:5]}")
print("restart-check: 240 searches, 3000 short Milvus connections")
PY
check "heavy traffic left sockets of port $milvus_port in TIME_WAIT" [ "$(time_waits)" -gt 100 ]
SECONDS=0  # TIME_WAIT lasts 60 s from here

# ---- 2. down ----------------------------------------------------------------------------
milvus_pid=$(cat "$stack/milvus/milvus.pid") ragd_pid=$(cat "$stack/ragd/ragd.pid")
"$stack_sh" down >"$work/down1.log" 2>&1 || { cat "$work/down1.log" >&2; die "down failed"; }
say "down took ${SECONDS}s after the traffic"
check "down: Milvus (pid $milvus_pid) has exited" exited "$milvus_pid"
check "down: this stack's ragd (pid $ragd_pid) has exited" exited "$ragd_pid"
check "down: the other stack's ragd (same binary) still runs" kill -0 "$other_ragd"
check "down: nothing listens on $milvus_port, $health_port or $RAGD_STACK_HTTPS_PORT" \
    [ -z "$(listener_pid "$milvus_port")$(listener_pid "$health_port")$(listener_pid "$RAGD_STACK_HTTPS_PORT")" ]
tw=$(time_waits)
check "after down: $tw sockets of port $milvus_port still in TIME_WAIT" [ "$tw" -gt 0 ]
check "after down: a plain bind() of $milvus_port fails (milvus-server's probe)" plain_bind_fails "$milvus_port"
choice=$(milvus_server_choice "$milvus_port")
check "after down: milvus-server's search would move the proxy to $choice" [ "$choice" != "$milvus_port" ]

# ---- 3. up again, data kept -----------------------------------------------------------
SECONDS=0
"$stack_sh" up >"$work/up2.log" 2>&1 || { tail -n 30 "$work/up2.log" >&2; die "the second up failed"; }
say "second up took ${SECONDS}s"
check "second up: Milvus (pid file) listens on $milvus_port again" ours "$stack/milvus/milvus.pid" "$(listener_pid "$milvus_port")"
check "second up: Milvus (pid file) listens on health port $health_port again" ours "$stack/milvus/milvus.pid" "$(listener_pid "$health_port")"
check "second up: Milvus's log says its proxy listens on $milvus_port" [ "$(proxy_port_in_log)" = "$milvus_port" ]
check "second up: nothing of ours listens on $((milvus_port + 1))" [ -z "$(listener_pid $((milvus_port + 1)))" ]
check "second up: /health/ready is 200 (PostgreSQL, Redis, Milvus)" \
    [ "$(curl -ks -o /dev/null -w '%{http_code}' "$base/health/ready")" = 200 ]
api GET "/v1/documents/$doc_id" >/dev/null
check "data kept: the document is still there" [ "$(cat "$work/status")" = 200 ]
check "data kept: vector search (Milvus) still finds it" found_by vector
check "data kept: keyword search (PostgreSQL) still finds it" found_by keyword
new_ragd=$(cat "$stack/ragd/ragd.pid")
check "ragd.pid names this stack's master (pid $new_ragd), not the older ragd ($other_ragd)" \
    [ "$new_ragd" != "$other_ragd" ]
check "ragd.pid's process is a ragd master reading this stack's ragd.env" ragd_master_of_this_stack "$new_ragd"
check "stack.sh status sees ragd running" grep -q "^ragd  *running  pid $new_ragd " <("$stack_sh" status)

# ---- 4. ports held by something else: a fast, named failure ----------------------------
"$stack_sh" down >"$work/down2.log" 2>&1 || { cat "$work/down2.log" >&2; die "down failed"; }
check "down again: the other ragd still runs" kill -0 "$other_ragd"
kill -TERM "$other_ragd"
wait "$other_ragd" 2>/dev/null || true
other_ragd=""
hold_port() { # hold_port PORT: a listener that is not Milvus
    python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("ready", flush=True); time.sleep(600)' "$1" >"$work/holder.out" &
    holder_pid=$!
    wait_for 10 grep -q ready "$work/holder.out"
}
release_port() { kill "$holder_pid"; wait "$holder_pid" 2>/dev/null || true; holder_pid=""; }
fails_fast() { # fails_fast PATTERN: `services` fails within 60 s, its output matching PATTERN
    local status=0
    SECONDS=0
    timeout 120 "$stack_sh" services >"$work/services.log" 2>&1 || status=$?
    echo "       services: exit $status after ${SECONDS}s: $(grep -E 'error:|is in use' "$work/services.log" | head -n 2 | tr '\n' ' ')"
    [ $status != 0 ] && [ $status != 124 ] && [ $SECONDS -lt 60 ] && grep -q -- "$1" "$work/services.log"
}
hold_port "$milvus_port"
check "Milvus port held by another program: services fails at once, naming port and holder" \
    fails_fast "port $milvus_port is in use by 'python3'"
release_port
hold_port "$etcd_peer_port"
check "etcd peer port held: services fails at once, milvus-serve names the port" \
    fails_fast "port $etcd_peer_port (etcd peer) is in use"
release_port

# ---- 5. down ----------------------------------------------------------------------------
"$stack_sh" down >"$work/down3.log" 2>&1 || { cat "$work/down3.log" >&2; die "down failed"; }
check "final down: nothing of this stack listens" [ -z "$(listener_pid "$milvus_port")$(listener_pid "$RAGD_PG_PORT")$(listener_pid "$RAGD_REDIS_PORT")" ]

echo "restart-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
