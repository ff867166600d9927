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

command -v envsubst >/dev/null || { echo "render-nginx: envsubst not found (Debian package gettext-base)" >&2; exit 1; }

mkdir -p "$out/conf.d/ragd" "$out/logs" "$out/tmp"
cp "$src/nginx.conf" "$out/nginx.conf"

# Each template gets exactly the variables it names; an unset one is an error rather
# than an empty string in the config.
render() {
    local template=$1 target=$2 names name
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
