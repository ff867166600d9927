#!/usr/bin/env bash
# Render the shipped nginx config (nginx/) into a standalone tree:
#
#   scripts/render-nginx.sh OUTDIR          then: nginx -p OUTDIR -c nginx.conf
#
# OUTDIR/nginx.conf          copy of nginx/nginx.conf
# OUTDIR/conf.d/ragd.conf    nginx/templates/ragd.conf.template, rendered
# OUTDIR/conf.d/ragd/*.conf  nginx/templates/ragd/*.conf.template, rendered
# OUTDIR/logs, OUTDIR/tmp    created empty (pid, error log, access log, temp files)
#
# The layout under conf.d/ is the one the official nginx image produces from
# /etc/nginx/templates, so the same templates serve both.
#
# Settings come from the environment; defaults in brackets:
#   RAGD_TLS_MODE          [terminate]  terminate | upstream
#   RAGD_HTTP_PORT         [8080]       [addr:]port
#   RAGD_HTTPS_PORT        [8443]       [addr:]port (terminate mode)
#   RAGD_HTTPS_PUBLIC_PORT [port of RAGD_HTTPS_PORT]  used in the HTTP->HTTPS redirect
#   RAGD_PUBLIC_HOST       [empty]      host[:port] of the HTTP->HTTPS redirect (terminate
#                                       mode); empty: the address the client connected to
#   RAGD_SERVER_NAMES      [empty]      the host names served (space-separated, no ports,
#                                       no wildcards); any other Host gets 421 except on the
#                                       probes and scrapes; empty: any Host is served
#   RAGD_FASTCGI_UPSTREAM  [unix:/run/ragd/ragd.sock] or 127.0.0.1:PORT
#   RAGD_TLS_CERT          [/etc/nginx/tls/tls.crt]
#   RAGD_TLS_KEY           [/etc/nginx/tls/tls.key]
#   RAGD_ACCESS_LOG        [logs/access.log] (relative paths are under OUTDIR)
#
# Only the ${RAGD_*} names found in the templates are substituted, so nginx's own
# $variables pass through untouched.
set -euo pipefail

usage() { echo "usage: $0 OUTDIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
out=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=$repo/nginx

export RAGD_TLS_MODE=${RAGD_TLS_MODE:-terminate}
export RAGD_HTTP_PORT=${RAGD_HTTP_PORT:-8080}
export RAGD_HTTPS_PORT=${RAGD_HTTPS_PORT:-8443}
export RAGD_HTTPS_PUBLIC_PORT=${RAGD_HTTPS_PUBLIC_PORT:-${RAGD_HTTPS_PORT##*:}}
export RAGD_PUBLIC_HOST=${RAGD_PUBLIC_HOST:-}
export RAGD_SERVER_NAMES=${RAGD_SERVER_NAMES:-}
export RAGD_FASTCGI_UPSTREAM=${RAGD_FASTCGI_UPSTREAM:-unix:/run/ragd/ragd.sock}
export RAGD_TLS_CERT=${RAGD_TLS_CERT:-/etc/nginx/tls/tls.crt}
export RAGD_TLS_KEY=${RAGD_TLS_KEY:-/etc/nginx/tls/tls.key}
export RAGD_ACCESS_LOG=${RAGD_ACCESS_LOG:-logs/access.log}

case $RAGD_TLS_MODE in
    terminate|upstream) ;;
    *) echo "render-nginx: RAGD_TLS_MODE must be terminate or upstream, not '$RAGD_TLS_MODE'" >&2; exit 2 ;;
esac
case $RAGD_FASTCGI_UPSTREAM in
    unix:/*|127.0.0.1:[0-9]*|localhost:[0-9]*|\[::1\]:[0-9]*) ;;
    *) echo "render-nginx: RAGD_FASTCGI_UPSTREAM must be unix:/abs/path or a loopback host:port, not '$RAGD_FASTCGI_UPSTREAM'" >&2; exit 2 ;;
esac

# Host names go into the config as they are, so only plain ones pass: DNS names and
# IPv4 addresses ([A-Za-z0-9-] labels), or an IPv6 address in brackets.
host_re='^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$|^\[[0-9A-Fa-f:.]+\]$'
valid_port() { [[ $1 =~ ^[0-9]{1,5}$ ]] && [ "$((10#$1))" -ge 1 ] && [ "$((10#$1))" -le 65535 ]; }
read -r -a server_names <<<"$RAGD_SERVER_NAMES"
for name in "${server_names[@]}"; do
    [[ $name =~ $host_re ]] || { echo "render-nginx: RAGD_SERVER_NAMES: '$name' is not a host name (no ports, no wildcards)" >&2; exit 2; }
done
RAGD_SERVER_NAMES=${server_names[*]}
if [ -n "$RAGD_PUBLIC_HOST" ]; then
    public_name=$RAGD_PUBLIC_HOST public_port=""
    if [[ $RAGD_PUBLIC_HOST =~ ^(.*[^:]):([0-9]+)$ ]] && [[ ${BASH_REMATCH[1]} != *:* || ${BASH_REMATCH[1]} == \[*\] ]]; then
        public_name=${BASH_REMATCH[1]} public_port=${BASH_REMATCH[2]}
    fi
    if ! [[ $public_name =~ $host_re ]] || { [ -n "$public_port" ] && ! valid_port "$public_port"; }; then
        echo "render-nginx: RAGD_PUBLIC_HOST must be host[:port] as clients use it (e.g. api.example.com or 127.0.0.1:8443), not '$RAGD_PUBLIC_HOST'" >&2
        exit 2
    fi
    if [ ${#server_names[@]} -gt 0 ] && ! printf '%s\n' "${server_names[@]}" | grep -qixF -- "$public_name"; then
        echo "render-nginx: RAGD_PUBLIC_HOST's host '$public_name' is not among RAGD_SERVER_NAMES ($RAGD_SERVER_NAMES): the redirect would lead to a 421" >&2
        exit 2
    fi
fi
valid_port "$RAGD_HTTPS_PUBLIC_PORT" || { echo "render-nginx: RAGD_HTTPS_PUBLIC_PORT must be a port number, not '$RAGD_HTTPS_PUBLIC_PORT'" >&2; exit 2; }

command -v envsubst >/dev/null || { echo "render-nginx: envsubst not found (Debian package gettext-base)" >&2; exit 1; }

mkdir -p "$out/conf.d/ragd" "$out/logs" "$out/tmp"
cp "$src/nginx.conf" "$out/nginx.conf"

# Each template gets exactly the variables it names; an unset one is an error rather
# than an empty string in the config.
render() {
    local template=$1 target=$2 names name
    # shellcheck disable=SC2016 # the pattern matches a literal ${RAGD_...}
    names=$(grep -o '\${RAGD_[A-Z0-9_]*}' "$template" | sort -u | tr '\n' ' ' || true)
    for name in $names; do
        name=${name#\$\{}; name=${name%\}}
        if [ -z "${!name+set}" ]; then
            echo "render-nginx: $template uses \${$name}, which is not set" >&2
            exit 1
        fi
    done
    envsubst "$names" <"$template" >"$target.tmp"
    mv "$target.tmp" "$target"
}

render "$src/templates/ragd.conf.template" "$out/conf.d/ragd.conf"
for t in "$src"/templates/ragd/*.conf.template; do
    base=$(basename "$t" .template)
    render "$t" "$out/conf.d/ragd/$base"
done
