#!/usr/bin/env bash
# The web console (/console/) and the API docs (/docs/) in real headless Chromium,
# against a live stack through nginx (scripts/lib/browser_check.py does the driving):
#
#   scripts/stack.sh up && scripts/browser-check.sh
#
# Installs what is missing: Debian's chromium, chromium-driver and a CJK font (so the
# screenshots show Chinese), and PyPI's selenium into a venv. Mints its tokens with
# `ragd token` for a tenant of its own (browser-<random>), so a run never meets another
# run's documents, and deletes what it created at the end. The answer must stream in
# several parts: the stack's test LLM (RAGD_STACK_LLM=test, the default) or a real one.
#
# Settings (environment; defaults in brackets):
#   RAGD_BROWSER_BASE_URL   [https://127.0.0.1:$RAGD_STACK_HTTPS_PORT, i.e. 8443]  the stack, through nginx
#   RAGD_BROWSER_ENV_FILE   [$RAGD_STACK_DIR/ragd.env, i.e. .stack/ragd.env]  ragd's ENV_FILE, to mint tokens
#   RAGD_BIN                [.build/debug/ragd, else .build/release/ragd]  the ragd that mints them
#   RAGD_BROWSER_TOKEN      a token to use instead (scopes documents:read documents:write query);
#                           without an env file the 403 check is skipped
#   RAGD_BROWSER_ARTIFACTS  [.stack/artifacts/browser]  one screenshot per step
#   RAGD_BROWSER_VENV       [/opt/ragd-browser-venv]  where selenium is installed
# Prints `ok`/`FAIL` lines and `N passed, N failed`; exits 1 on any failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${RAGD_BROWSER_VENV:-/opt/ragd-browser-venv}
selenium_version=4.51.0
base=${RAGD_BROWSER_BASE_URL:-https://127.0.0.1:${RAGD_STACK_HTTPS_PORT:-8443}}
env_file=${RAGD_BROWSER_ENV_FILE:-${RAGD_STACK_DIR:-$repo/.stack}/ragd.env}
artifacts=${RAGD_BROWSER_ARTIFACTS:-$repo/.stack/artifacts/browser}

say() { echo "browser-check: $*"; }
die() { echo "browser-check: error: $*" >&2; exit 1; }

# ---- install ------------------------------------------------------------------------
packages=(chromium chromium-driver fonts-wqy-microhei)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing ${missing[*]}; run as root to install them"
    say "installing ${missing[*]}"
    # Others may run apt at the same time: wait for the locks rather than fail.
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        apt-get update -q -o DPkg::Lock::Timeout=600 && break
        [ "$attempt" -lt 10 ] || die "apt-get update failed"
        sleep 15
    done
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi
if [ "$("$venv/bin/python" -c 'import selenium; print(selenium.__version__)' 2>/dev/null)" != "$selenium_version" ]; then
    say "installing selenium==$selenium_version into $venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "selenium==$selenium_version"
fi

# ---- tokens -------------------------------------------------------------------------
tenant=browser-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
scopes="documents:read documents:write query"
readonly_token="" limited_token=""
if [ -n "${RAGD_BROWSER_TOKEN:-}" ]; then
    token=$RAGD_BROWSER_TOKEN
else
    bin=${RAGD_BIN:-}
    if [ -z "$bin" ]; then
        for candidate in "$repo/.build/debug/ragd" "$repo/.build/release/ragd"; do
            [ -x "$candidate" ] && { bin=$candidate; break; }
        done
    fi
    if [ -z "$bin" ] || [ ! -x "$bin" ]; then
        die "no ragd binary to mint tokens (set RAGD_BIN or RAGD_BROWSER_TOKEN)"
    fi
    [ -r "$env_file" ] || die "no env file $env_file (set RAGD_BROWSER_ENV_FILE or RAGD_BROWSER_TOKEN)"
    mint() { ENV_FILE=$env_file "$bin" token --tenant "$tenant" --ttl 1800 "$@"; }
    token=$(mint --scope "$scopes" --subject browser-check)
    readonly_token=$(mint --scope "documents:read" --subject browser-readonly)
    # Its own subject, so spending its rate-limit budget leaves the main token's alone.
    limited_token=$(mint --scope "$scopes" --subject browser-429)
fi

curl -ksf -m 10 -o /dev/null "$base/health" || die "no stack answers at $base/health (scripts/stack.sh up)"

# ---- run ----------------------------------------------------------------------------
rm -rf "$artifacts"
mkdir -p "$artifacts"
work=$(mktemp -d /tmp/ragd-browser-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
say "tenant $tenant"
RAGD_BROWSER_BASE_URL=$base RAGD_BROWSER_TOKEN=$token RAGD_BROWSER_TOKEN_READONLY=$readonly_token \
    RAGD_BROWSER_TOKEN_LIMITED=$limited_token RAGD_BROWSER_ARTIFACTS=$artifacts RAGD_BROWSER_WORK=$work \
    SE_OFFLINE=true SE_AVOID_STATS=true \
    "$venv/bin/python" "$repo/scripts/lib/browser_check.py"
