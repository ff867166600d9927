#!/usr/bin/env python3
"""Writes the monitoring files that are derived from a source, so they cannot drift:

  deploy/grafana/dashboards.py      -> deploy/grafana/<uid>.json (for Grafana's import)
                                       k8s/monitoring/dashboards/<uid>.json (the ConfigMap's copy)
  deploy/prometheus/ragd-rules.yml  -> k8s/monitoring/prometheus-rule.yaml (PrometheusRule)

    python3 deploy/generate.py          write them
    python3 deploy/generate.py --check  write nothing; exit 1 naming every file that differs

Standard library only.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in deploy/grafana
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "deploy", "grafana"))
import dashboards  # noqa: E402

RULES = "deploy/prometheus/ragd-rules.yml"
PROMETHEUS_RULE = "k8s/monitoring/prometheus-rule.yaml"
HEADER = f"""\
# GENERATED from {RULES} by deploy/generate.py: edit that file and run
# `python3 deploy/generate.py` (scripts/monitoring-check.sh fails on any difference).
# The same alert rules for the Prometheus Operator; README, Monitoring, has the runbook.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: ragd
  labels:
    app.kubernetes.io/name: ragd
spec:
"""


def prometheus_rule(rules_text):
    """The rules file under `spec:`, indented, without its leading comment block."""
    lines = rules_text.splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return HEADER + "".join(("  " + line if line.strip() else "") + "\n" for line in lines)


def outputs():
    files = {}
    for name, board in dashboards.build().items():
        text = json.dumps(board, indent=2, ensure_ascii=False) + "\n"
        files[f"deploy/grafana/{name}"] = text
        files[f"k8s/monitoring/dashboards/{name}"] = text
    with open(os.path.join(REPO, RULES), encoding="utf-8") as f:
        files[PROMETHEUS_RULE] = prometheus_rule(f.read())
    return files


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        sys.exit(__doc__)
    stale = []
    for path, text in outputs().items():
        full = os.path.join(REPO, path)
        try:
            with open(full, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        stale.append(path)
        if not check:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
    if check and stale:
        print("out of date (run python3 deploy/generate.py): " + ", ".join(stale))
        return 1
    print(("up to date: " if check else "written: ") + (", ".join(stale) if stale and not check else "all files"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
