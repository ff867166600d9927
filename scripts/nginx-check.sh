#!/usr/bin/env bash
# Check the shipped nginx config (nginx/) without ragd:
#   1. render every variant (TLS terminate|upstream x FastCGI over unix socket|TCP) and
#      run `nginx -t` on each;
#   2. unless --syntax-only: run nginx on free loopback ports in front of a stand-in
#      FastCGI responder (scripts/lib/fcgi-standin.py) and check, over HTTPS and HTTP,
#      the behaviour ragd relies on: request ids, redirects, httpoxy, the /metrics ACL,
#      unbuffered SSE, JSON error bodies (413, 502) and the JSON access log; the Host
#      policy (the redirect goes to the configured host whatever the client's Host; an
#      unknown Host gets 421 when RAGD_SERVER_NAMES is set, probes and scrapes excepted);
#      and that no spelling of a path (dot segments, escapes, double slashes) reaches
#      ragd's /metrics or /status without passing their ACL (ragd routes on the raw
#      REQUEST_URI, nginx on the normalised $uri: nginx/templates/ragd/fastcgi.conf).
# Needs nginx, openssl, envsubst, curl, python3. Run as root to have the workers run
# as `nobody` like in production (the socket permissions are part of the check).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
syntax_only=0
[ "${1:-}" = "--syntax-only" ] && syntax_only=1

work=$(mktemp -d /tmp/ragd-nginx-check.XXXXXX)
# mktemp makes the directory 0700; nginx workers (nobody) need to reach tmp/ below it.
chmod 0755 "$work"
standin_pid=""
nginx_prefixes=()
cleanup() {
    local p
    for p in "${nginx_prefixes[@]}"; do
        if [ -f "$p/logs/nginx.pid" ]; then nginx -p "$p" -c nginx.conf -s stop 2>/dev/null || true; fi
    done
    if [ -n "$standin_pid" ]; then kill "$standin_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
export RAGD_TLS_CERT=$work/tls.crt RAGD_TLS_KEY=$work/tls.key

# ---- 1. nginx -t on every variant -------------------------------------------------
for mode in terminate upstream; do
    for upstream in unix:/run/ragd/ragd.sock 127.0.0.1:9000; do
        dir=$work/t-$mode-${upstream%%:*}
        RAGD_TLS_MODE=$mode RAGD_FASTCGI_UPSTREAM=$upstream "$repo/scripts/render-nginx.sh" "$dir"
        if ! out=$(nginx -t -p "$dir" -c nginx.conf 2>&1); then
            echo "$out" >&2
            echo "nginx-check: nginx -t failed for mode=$mode upstream=$upstream" >&2
            exit 1
        fi
        echo "nginx -t ok: RAGD_TLS_MODE=$mode RAGD_FASTCGI_UPSTREAM=$upstream"
    done
    # The Host settings (RAGD_PUBLIC_HOST, RAGD_SERVER_NAMES) in each mode.
    dir=$work/t-$mode-hosts
    RAGD_TLS_MODE=$mode RAGD_PUBLIC_HOST=api.example.com RAGD_SERVER_NAMES="api.example.com [::1]" \
        "$repo/scripts/render-nginx.sh" "$dir"
    if ! out=$(nginx -t -p "$dir" -c nginx.conf 2>&1); then
        echo "$out" >&2
        echo "nginx-check: nginx -t failed for mode=$mode with RAGD_PUBLIC_HOST and RAGD_SERVER_NAMES" >&2
        exit 1
    fi
    echo "nginx -t ok: RAGD_TLS_MODE=$mode RAGD_PUBLIC_HOST=api.example.com RAGD_SERVER_NAMES='api.example.com [::1]'"
done
# render-nginx.sh refuses Host settings that would break the config or the redirect
# (each case: assignments separated by spaces).
bad_settings=(
    "RAGD_PUBLIC_HOST=https://api.example.com" "RAGD_PUBLIC_HOST=api.example.com/x"
    "RAGD_PUBLIC_HOST=::1" "RAGD_PUBLIC_HOST=api.example.com:0" "RAGD_SERVER_NAMES=*.example.com"
    "RAGD_SERVER_NAMES=api.example.com:443" 'RAGD_SERVER_NAMES=a"b'
    "RAGD_PUBLIC_HOST=other.example.com RAGD_SERVER_NAMES=api.example.com"
)
for bad in "${bad_settings[@]}"; do
    read -r -a assignments <<<"$bad"
    if env "${assignments[@]}" "$repo/scripts/render-nginx.sh" "$work/t-bad" >/dev/null 2>&1; then
        echo "nginx-check: render-nginx.sh accepted $bad" >&2
        exit 1
    fi
done
echo "render-nginx.sh refuses malformed RAGD_PUBLIC_HOST / RAGD_SERVER_NAMES"
[ $syntax_only = 1 ] && exit 0

# ---- 2. live checks against the stand-in ----------------------------------------
passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
    local desc=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok   - $desc"
    else failed=$((failed + 1)); echo "FAIL - $desc"; fi
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_for() { # wait_for SECONDS COMMAND...: poll until COMMAND succeeds
    local deadline=$((SECONDS + $1)); shift
    until "$@" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}
json_get() { # json_get FILE EXPR: evaluate a python expression on the parsed JSON `j`
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
matches() { [[ $1 =~ $2 ]]; }
header() { # header FILE NAME: value(s) of a response header, one per line
    tr -d '\r' <"$1" | awk -v n="$(echo "$2" | tr '[:upper:]' '[:lower:]')" -F': ' 'tolower($1)==n {print $2}'
}

# The socket setup we document for ragd: directory root:nogroup 0750, socket 0660
# root:nogroup, so only root and the nginx workers' group can connect.
if [ "$(id -u)" = 0 ]; then
    sockdir=$work/sock; mkdir -m 0750 "$sockdir"; chown root:nogroup "$sockdir"; owner=root:nogroup
else
    sockdir=$work/sock; mkdir -m 0700 "$sockdir"; owner=""
fi
sock=$sockdir/ragd.sock
start_standin() {
    python3 "$repo/scripts/lib/fcgi-standin.py" "unix:$sock" 0660 $owner &
    standin_pid=$!
    wait_for 10 test -S "$sock"
}
stop_standin() {
    kill "$standin_pid"; wait "$standin_pid" 2>/dev/null || true; standin_pid=""
}
start_standin

http_port=$(free_port) https_port=$(free_port)
live=$work/live-terminate
RAGD_TLS_MODE=terminate RAGD_FASTCGI_UPSTREAM=unix:$sock \
    RAGD_HTTP_PORT=127.0.0.1:$http_port RAGD_HTTPS_PORT=127.0.0.1:$https_port \
    "$repo/scripts/render-nginx.sh" "$live"
nginx -p "$live" -c nginx.conf
nginx_prefixes+=("$live")
wait_for 10 curl -ksf -o /dev/null "https://127.0.0.1:$https_port/health"
base=https://127.0.0.1:$https_port
r=$work/resp

# Request id generated by nginx, passed to the backend, returned once.
curl -ks -D "$r.h" -o "$r.b" -H 'Proxy: http://evil.example:3128' "$base/v1/echo?q=1"
rid=$(header "$r.h" X-Request-ID)
check "HTTPS request reaches the backend (200)" grep -q '^HTTP/[0-9.]* 200' "$r.h"
check "nginx generates a request id (32 hex)" matches "$rid" '^[0-9a-f]{32}$'
check "exactly one X-Request-ID header" [ "$(header "$r.h" X-Request-ID | wc -l)" = 1 ]
check "backend received the same id as HTTP_X_REQUEST_ID" \
    [ "$(json_get "$r.b" 'j["params"]["HTTP_X_REQUEST_ID"]')" = "$rid" ]
check "httpoxy: HTTP_PROXY param is empty" [ "$(json_get "$r.b" 'j["params"].get("HTTP_PROXY","")')" = "" ]
check "HTTPS=on reaches the backend" [ "$(json_get "$r.b" 'j["params"].get("HTTPS")')" = on ]
check "HSTS on HTTPS" grep -qi '^strict-transport-security: max-age=63072000' "$r.h"

curl -ks -D "$r.h" -o "$r.b" -H 'X-Request-ID: client-id-42' "$base/v1/echo"
check "client X-Request-ID echoed" [ "$(header "$r.h" X-Request-ID)" = client-id-42 ]
check "client X-Request-ID passed to backend" \
    [ "$(json_get "$r.b" 'j["params"]["HTTP_X_REQUEST_ID"]')" = client-id-42 ]
curl -ks -D "$r.h" -o "$r.b" -H 'X-Request-ID: "},{"x":1' "$base/v1/echo"
check "malformed client X-Request-ID replaced" matches "$(header "$r.h" X-Request-ID)" '^[0-9a-f]{32}$'

# Plain HTTP in terminate mode: redirect, except probes and scrapes.
curl -s -D "$r.h" -o /dev/null "http://127.0.0.1:$http_port/v1/documents?x=1"
check "HTTP redirects to HTTPS with 308" grep -q '^HTTP/1.1 308' "$r.h"
check "redirect keeps port, path and query" \
    [ "$(header "$r.h" Location)" = "https://127.0.0.1:$https_port/v1/documents?x=1" ]
check "HTTP /health is served, not redirected" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/health")" = 200 ]
check "HTTP /health/ready is served, not redirected" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/health/ready")" = 200 ]

# The redirect goes to the configured host, never the client's. Nothing is configured
# here (RAGD_PUBLIC_HOST and RAGD_SERVER_NAMES empty): the address the client connected to.
curl -s -D "$r.h" -o /dev/null -H 'Host: evil.example' "http://127.0.0.1:$http_port/v1/documents?x=1"
check "redirect ignores the client's Host (Host: evil.example)" \
    [ "$(header "$r.h" Location)" = "https://127.0.0.1:$https_port/v1/documents?x=1" ]
curl -s -D "$r.h" -o /dev/null --request-target 'http://evil.example/v1/documents' "http://127.0.0.1:$http_port/"
check "redirect ignores the host of an absolute request-target" \
    [ "$(header "$r.h" Location)" = "https://127.0.0.1:$https_port/v1/documents" ]
check "RAGD_SERVER_NAMES empty: any Host is served (as before the setting)" \
    [ "$(curl -ks -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "$base/v1/echo")" = 200 ]

# Path spellings. ragd routes on the raw REQUEST_URI and nginx picks locations by the
# normalised $uri (fastcgi.conf): whatever the spelling, a request from outside (here:
# with X-Forwarded-For, which the ACL refuses) must either meet the /metrics-/status
# ACL (403), be redirected (plain HTTP) or refused as malformed (400), or reach the
# backend with a raw path that ragd does not route to /metrics or /status (it compares
# the raw path byte for byte). Over HTTPS both HTTP/2 (curl's default) and HTTP/1.1.
internal_unreached() { # internal_unreached URL TARGET [CURL OPTION]
    local code raw
    code=$(curl -ks "${@:3}" -o "$r.b" -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.7' --request-target "$2" "$1")
    case $code in
        400|403|308) return 0 ;;
        200) raw=$(json_get "$r.b" 'j["params"]["REQUEST_URI"].split("?")[0]')
             case $raw in
                 /metrics|/status) echo "       $2 reached the backend as $raw without the ACL"; return 1 ;;
             esac ;;
        *) echo "       $2: unexpected HTTP $code"; return 1 ;;
    esac
}
# These normalise to /metrics or /status in nginx: the ACL must refuse them outright.
acl_targets=(/v1/../metrics /v1/%2e%2e/metrics //metrics /metrics%3f /metrics/ /./metrics
    '/metrics#x' /health/../metrics /health/..%2fmetrics /v1/../status /%73tatus //status/
    'http://evil.example/v1/../metrics')
# And these do not (or not everywhere): any outcome but the internal route is fine.
other_targets=(/health/ /v1/metrics '/metrics%2f..%2fv1' '/v1#/../metrics' '/health#/../metrics'
    /v1/documents/..%2f..%2fmetrics '/status%3f')
for target in "${acl_targets[@]}"; do
    check "path $target from outside meets the ACL (403)" [ "$(curl -ks --http1.1 -o /dev/null -w '%{http_code}' \
        -H 'X-Forwarded-For: 203.0.113.7' --request-target "$target" "$base/")" = 403 ]
done
for target in "${acl_targets[@]}" "${other_targets[@]}"; do
    check "path $target from outside never reaches ragd's /metrics or /status (HTTP/2)" internal_unreached "$base/" "$target"
    check "path $target from outside never reaches ragd's /metrics or /status (HTTPS/1.1)" \
        internal_unreached "$base/" "$target" --http1.1
    check "path $target from outside never reaches ragd's /metrics or /status (HTTP)" \
        internal_unreached "http://127.0.0.1:$http_port/" "$target"
done
# Why that holds: from loopback (allowed) the backend gets nginx's normalised path as
# DOCUMENT_URI but the raw one as REQUEST_URI, on which ragd answers 404.
curl -ks -o "$r.b" --request-target /v1/%2e%2e/metrics "$base/"
check "/v1/%2e%2e/metrics: DOCUMENT_URI is /metrics, REQUEST_URI stays raw" \
    [ "$(json_get "$r.b" '(j["params"]["DOCUMENT_URI"], j["params"]["REQUEST_URI"])')" = "('/metrics', '/v1/%2e%2e/metrics')" ]

# /metrics and /status: loopback allowed, proxied requests refused.
check "/metrics from loopback allowed" [ "$(curl -ks -o /dev/null -w '%{http_code}' "$base/metrics")" = 200 ]
check "/status over plain HTTP from loopback allowed" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/status")" = 200 ]
curl -ks -D "$r.h" -o "$r.b" -H 'X-Forwarded-For: 203.0.113.7' "$base/metrics"
check "/metrics with X-Forwarded-For is 403" grep -q '^HTTP/[0-9.]* 403' "$r.h"
check "403 body is problem+json" grep -qi '^content-type: application/problem+json' "$r.h"
check "403 problem has status and request id" \
    [ "$(json_get "$r.b" '(j["status"], j["request_id"])')" = "(403, '$(header "$r.h" X-Request-ID)')" ]
check "/status with Forwarded is 403" [ "$(curl -ks -o /dev/null -w '%{http_code}' \
    -H 'Forwarded: for=203.0.113.7' "$base/status")" = 403 ]
check "/metrics/ subpath with X-Forwarded-For is 403" [ "$(curl -ks -o /dev/null -w '%{http_code}' \
    -H 'X-Forwarded-For: 203.0.113.7' "$base/metrics/x")" = 403 ]
check "/%6detrics (encoded) with X-Forwarded-For is 403" [ "$(curl -ks -o /dev/null -w '%{http_code}' \
    -H 'X-Forwarded-For: 203.0.113.7' "$base/%6detrics")" = 403 ]

# SSE: X-Accel-Buffering: no from the backend must make nginx flush each event.
t=$(curl -ksN -o "$r.b" -w '%{time_starttransfer} %{time_total}' "$base/sse")
check "SSE first event arrives before the backend finishes (unbuffered)" \
    python3 -c 'import sys; a,b=map(float,sys.argv[1].split()); sys.exit(0 if a < 1.0 and b >= 1.4 else 1)' "$t"
check "SSE body has both events" grep -q 'data: second' "$r.b"

# Body limit: 50 MiB.
head -c $((50 * 1024 * 1024 + 1)) /dev/zero >"$work/big"
curl -ks -D "$r.h" -o "$r.b" --data-binary @"$work/big" -H 'Content-Type: application/octet-stream' "$base/v1/documents"
check "body over 50 MiB is 413" grep -q '^HTTP/[0-9.]* 413' "$r.h"
check "413 body is problem+json" [ "$(json_get "$r.b" 'j["status"]')" = 413 ]
head -c $((2 * 1024 * 1024)) /dev/zero >"$work/big"
curl -ks -o "$r.b" --data-binary @"$work/big" -H 'Content-Type: application/octet-stream' "$base/v1/documents"
check "2 MiB body (buffered to a temp file by nobody) reaches the backend" \
    [ "$(json_get "$r.b" 'j["body_length"]')" = $((2 * 1024 * 1024)) ]
rm -f "$work/big"

# Backend down: nginx's own 502 as JSON.
stop_standin
curl -ks -D "$r.h" -o "$r.b" -H 'X-Request-ID: down-check-1' "$base/v1/query"
check "backend down is 502" grep -q '^HTTP/[0-9.]* 502' "$r.h"
check "502 content type is application/problem+json" grep -qi '^content-type: application/problem+json' "$r.h"
check "502 problem carries the request id" [ "$(json_get "$r.b" 'j["request_id"]')" = down-check-1 ]
check "502 response carries X-Request-ID" [ "$(header "$r.h" X-Request-ID)" = down-check-1 ]

# Access log: one JSON object per line with the fields operators query.
check "access log lines are JSON with request_id, status, upstream_response_time" python3 - "$live/logs/access.log" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) >= 10, len(lines)
for line in lines:
    entry = json.loads(line)
    assert isinstance(entry["status"], int) and entry["request_id"] and "upstream_response_time" in entry
assert any(json.loads(l)["request_id"] == "down-check-1" and json.loads(l)["status"] == 502 for l in lines)
PY
nginx -p "$live" -c nginx.conf -s stop 2>/dev/null
wait_for 10 test ! -e "$live/logs/nginx.pid"

# Upstream mode (behind an Ingress): plain HTTP, no redirect, same ACL.
start_standin
up_port=$(free_port)
live=$work/live-upstream
RAGD_TLS_MODE=upstream RAGD_FASTCGI_UPSTREAM=unix:$sock RAGD_HTTP_PORT=127.0.0.1:$up_port \
    "$repo/scripts/render-nginx.sh" "$live"
nginx -p "$live" -c nginx.conf
nginx_prefixes+=("$live")
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$up_port/health"
curl -s -D "$r.h" -o "$r.b" -H 'X-Forwarded-For: 203.0.113.7' -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$up_port/v1/echo"
check "upstream mode: API served over HTTP without redirect" grep -q '^HTTP/1.1 200' "$r.h"
check "upstream mode: no HSTS on plain HTTP" [ -z "$(header "$r.h" Strict-Transport-Security)" ]
check "upstream mode: X-Forwarded-Proto reaches the backend" \
    [ "$(json_get "$r.b" 'j["params"].get("HTTP_X_FORWARDED_PROTO")')" = https ]
check "upstream mode: /metrics via the ingress (X-Forwarded-For) is 403" [ "$(curl -s -o /dev/null -w '%{http_code}' \
    -H 'X-Forwarded-For: 203.0.113.7' "http://127.0.0.1:$up_port/metrics")" = 403 ]
check "upstream mode: direct /metrics scrape from loopback allowed" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$up_port/metrics")" = 200 ]


# The Host policy with both settings, in terminate mode: the redirect goes to
# RAGD_PUBLIC_HOST; a Host outside RAGD_SERVER_NAMES gets 421 (problem+json), except on
# the probes and scrapes, which kubelet, Docker and Prometheus send with the pod's IP.
nginx -p "$live" -c nginx.conf -s stop 2>/dev/null
wait_for 10 test ! -e "$live/logs/nginx.pid"
http_port=$(free_port) https_port=$(free_port)
live=$work/live-hosts
RAGD_TLS_MODE=terminate RAGD_FASTCGI_UPSTREAM=unix:$sock \
    RAGD_HTTP_PORT=127.0.0.1:$http_port RAGD_HTTPS_PORT=127.0.0.1:$https_port \
    RAGD_PUBLIC_HOST=ragd.example.test:4443 RAGD_SERVER_NAMES="ragd.example.test localhost" \
    "$repo/scripts/render-nginx.sh" "$live"
nginx -p "$live" -c nginx.conf
nginx_prefixes+=("$live")
wait_for 10 curl -ksf -o /dev/null "https://127.0.0.1:$https_port/health" \
    || { echo "nginx-check: nginx with RAGD_SERVER_NAMES did not answer /health (Host 127.0.0.1)" >&2; exit 1; }
base=https://127.0.0.1:$https_port
plain=http://127.0.0.1:$http_port
pod_host=10.244.1.7:8080

for host in ragd.example.test LOCALHOST:$http_port evil.example; do
    curl -s -D "$r.h" -o "$r.b" -H "Host: $host" "$plain/v1/documents?x=1"
    if [ "$host" = evil.example ]; then
        check "HTTP, unknown Host $host: 421" [ "$(head -n 1 "$r.h" | cut -d' ' -f2)" = 421 ]
        check "HTTP, unknown Host $host: no redirect" [ -z "$(header "$r.h" Location)" ]
    else
        check "HTTP, Host $host: 308 to RAGD_PUBLIC_HOST" \
            [ "$(header "$r.h" Location)" = "https://ragd.example.test:4443/v1/documents?x=1" ]
    fi
done
curl -ks -D "$r.h" -o "$r.b" -H 'Host: evil.example' -H 'X-Request-ID: host-check-1' "$base/v1/echo"
check "HTTPS, unknown Host: 421" grep -q '^HTTP/[0-9.]* 421' "$r.h"
check "421 is problem+json with status and request id" \
    [ "$(json_get "$r.b" '(j["status"], j["title"], j["request_id"])')" = "(421, 'Misdirected Request', 'host-check-1')" ]
check "421 carries X-Request-ID" [ "$(header "$r.h" X-Request-ID)" = host-check-1 ]
check "421 carries HSTS" grep -qi '^strict-transport-security:' "$r.h"
check "HTTPS, unknown host in an absolute request-target: 421" [ "$(curl -ks --http1.1 -o /dev/null -w '%{http_code}' \
    -H 'Host: localhost' --request-target 'https://evil.example/v1/echo' "$base/")" = 421 ]
for host in ragd.example.test Ragd.Example.TEST:443 localhost; do
    code=$(curl -ks -o "$r.b" -w '%{http_code}' -H "Host: $host" "$base/v1/echo")
    check "HTTPS, Host $host (a configured name, any case, any port): served" [ "$code" = 200 ]
    check "HTTPS, Host $host: the backend got that Host" [ "$(json_get "$r.b" 'j["params"].get("HTTP_HOST")')" = "$host" ]
done
for host in xragd.example.test ragd.example.test.evil example.test ragd 127.0.0.1 "$pod_host"; do
    check "HTTPS, Host $host (not a configured name): 421" \
        [ "$(curl -ks -o /dev/null -w '%{http_code}' -H "Host: $host" "$base/v1/echo")" = 421 ]
done
check "HTTP/1.0 without Host: 421" [ "$(curl -ks -0 -o /dev/null -w '%{http_code}' -H 'Host:' "$base/v1/echo")" = 421 ]
check "static page /console/, unknown Host: 421" \
    [ "$(curl -ks -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "$base/console/")" = 421 ]
check "static redirect /docs, unknown Host: 421" \
    [ "$(curl -ks -o /dev/null -w '%{http_code}' -H 'Host: evil.example' "$base/docs")" = 421 ]
check "static pages, known Host: not 421" [ "$(curl -ks -o /dev/null -w '%{http_code}' -H 'Host: localhost' "$base/docs")" = 301 ]
for request in "POST /console/" "DELETE /docs/index.html" "PUT /console/app.js"; do
    curl -ks -D "$r.h" -o "$r.b" -X "${request% *}" -H 'Host: localhost' -H 'X-Request-ID: static-405' "$base${request#* }"
    check "static page, $request: 405 from nginx" grep -q '^HTTP/[0-9.]* 405' "$r.h"
    check "static page, $request: Allow: GET, HEAD" [ "$(header "$r.h" Allow)" = "GET, HEAD" ]
    check "static page, $request: problem+json with request id" \
        [ "$(json_get "$r.b" '(j["status"], j["title"], j["request_id"])')" = "(405, 'Method Not Allowed', 'static-405')" ]
done
check "static page, HEAD: not 405" [ "$(curl -ks -I -o /dev/null -w '%{http_code}' -H 'Host: localhost' "$base/console/")" != 405 ]
curl -ks -D "$r.h" -o /dev/null -X POST -H 'Host: localhost' "$base/v1/echo"
check "API path, POST: no Allow header from the static map" [ -z "$(header "$r.h" Allow)" ]
for url in "$plain/health" "$plain/health/ready" "$base/health" "$base/health/ready"; do
    check "probe ${url#*127.0.0.1:} with Host $pod_host: 200" \
        [ "$(curl -ks -o /dev/null -w '%{http_code}' -H "Host: $pod_host" "$url")" = 200 ]
done
check "/metrics scrape with Host $pod_host from loopback: 200" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $pod_host" "$plain/metrics")" = 200 ]
check "/status with an unknown Host, proxied: still 403 (the ACL applies)" [ "$(curl -s -o /dev/null -w '%{http_code}' \
    -H 'Host: evil.example' -H 'X-Forwarded-For: 203.0.113.7' "$plain/status")" = 403 ]
nginx -p "$live" -c nginx.conf -s stop 2>/dev/null
wait_for 10 test ! -e "$live/logs/nginx.pid"

# The same policy in upstream mode (the Ingress passes the client's Host on).
up_port=$(free_port)
live=$work/live-upstream-hosts
RAGD_TLS_MODE=upstream RAGD_FASTCGI_UPSTREAM=unix:$sock RAGD_HTTP_PORT=127.0.0.1:$up_port \
    RAGD_SERVER_NAMES=api.example.com "$repo/scripts/render-nginx.sh" "$live"
nginx -p "$live" -c nginx.conf
nginx_prefixes+=("$live")
wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$up_port/health" \
    || { echo "nginx-check: nginx (upstream) with RAGD_SERVER_NAMES did not answer /health (Host 127.0.0.1)" >&2; exit 1; }
check "upstream mode: Host api.example.com served" [ "$(curl -s -o /dev/null -w '%{http_code}' \
    -H 'Host: api.example.com' -H 'X-Forwarded-For: 203.0.113.7' "http://127.0.0.1:$up_port/v1/echo")" = 200 ]
check "upstream mode: unknown Host 421" [ "$(curl -s -o /dev/null -w '%{http_code}' \
    -H 'Host: evil.example' -H 'X-Forwarded-For: 203.0.113.7' "http://127.0.0.1:$up_port/v1/echo")" = 421 ]
for path in /health /health/ready; do
    check "upstream mode: kubelet probe $path with Host $pod_host: 200" \
        [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $pod_host" "http://127.0.0.1:$up_port$path")" = 200 ]
done
check "upstream mode: Prometheus scrape with Host $pod_host: 200" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $pod_host" "http://127.0.0.1:$up_port/metrics")" = 200 ]

echo "nginx-check: $passed passed, $failed failed"
[ $failed = 0 ]
