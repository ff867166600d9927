#!/usr/bin/env python3
"""Offline checks of the monitoring files (scripts/monitoring-check.sh runs this in its venv):

  monitoring_static.py REPO KUSTOMIZE_OUTPUT KUSTOMIZE_OUTPUT_WITH_E5

* the alert rules: the PrometheusRule holds exactly the plain file's groups; every alert
  has a severity, summary, description and a runbook_url whose anchor is a README heading;
  every alert has a promtool test where it fires and one where it stays quiet;
* every series named by a rule or a dashboard query is one ragd exports (read from
  Sources/) or Prometheus's `up`;
* the dashboards: Grafana's JSON model as far as Grafana needs it (unique ids, panels on
  the 24-column grid without overlaps, every query on the ${datasource} variable, only
  known template variables);
* the kustomize output with k8s/monitoring: the ServiceMonitor and PrometheusRule against
  the Prometheus Operator's CRD schema (the `cloudcoil-models-prometheus-operator` models,
  generated from the CRDs, walked strictly: unknown fields fail too; kubernetes-validate
  has no CRD schemas), the ServiceMonitor selecting ragd's Service and no other (also with
  the e5 component), the dashboards ConfigMap labelled for Grafana's sidecar and equal to
  deploy/grafana/.
Prints one "ok   - " or "FAIL - " line per check; exits 1 on any failure.
"""
import glob
import json
import os
import re
import sys
import typing

import yaml

repo, k8s_out, k8s_e5_out = sys.argv[1:4]
results = []


def check(ok, text):
    results.append((bool(ok), text))


def read(path):
    with open(os.path.join(repo, path), encoding="utf-8") as f:
        return f.read()


# ---- alert rules ------------------------------------------------------------------------
plain = yaml.safe_load(read("deploy/prometheus/ragd-rules.yml"))
operator_rule = yaml.safe_load(read("k8s/monitoring/prometheus-rule.yaml"))
check(operator_rule["spec"]["groups"] == plain["groups"],
      "the PrometheusRule's groups equal deploy/prometheus/ragd-rules.yml's")
alerts = [r for g in plain["groups"] for r in g["rules"] if "alert" in r]
names = [a["alert"] for a in alerts]
check(len(alerts) >= 10 and len(set(names)) == len(names), f"{len(alerts)} alerts, each name once")


def github_slug(heading):
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


anchors = {github_slug(m) for m in re.findall(r"^#{1,6} (.+)$", read("README.md"), re.M)}
for a in alerts:
    ann, name = a.get("annotations", {}), a["alert"]
    check(a.get("labels", {}).get("severity") in ("warning", "critical"), f"{name}: severity warning or critical")
    check(ann.get("summary") and ann.get("description"), f"{name}: summary and description")
    url = ann.get("runbook_url", "")
    anchor = url.rpartition("#")[2]
    check(url.startswith("https://") and "README.md#" in url and anchor in anchors,
          f"{name}: runbook_url {url or '(none)'} names a README heading")
    check(anchor == name.lower(), f"{name}: the runbook anchor is the alert's name")

# Every alert fires in some test and stays quiet in another.
fires, quiet = set(), set()
for path in sorted(glob.glob(os.path.join(repo, "deploy/prometheus/tests/*.yml"))):
    for test in yaml.safe_load(open(path, encoding="utf-8"))["tests"]:
        for case in test.get("alert_rule_test", []):
            (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
for name in names:
    check(name in fires and name in quiet, f"{name}: a promtool test where it fires and one where it stays quiet")
check(not (fires | quiet) - set(names), "the promtool tests name no unknown alert")

# ---- series names -----------------------------------------------------------------------
exported = {"up"}
catalog = read("Sources/RagdMetrics/MetricCatalog.swift")
for name, kind in re.findall(r'name: "([a-z_]+)".*?kind: \.(\w+)', catalog, re.S):
    exported |= {name + s for s in ("_bucket", "_sum", "_count")} if kind == "histogram" else {name}
exported |= set(re.findall(r'\.init\(name: "([a-z_]+)"', read("Sources/RagdPool/PoolView.swift")))
check(len(exported) > 25, f"{len(exported)} series names read from Sources/ (MetricCatalog, PoolView)")


def series_names(expr):
    return set(re.findall(r"\b((?:rag|process)_[a-z_]+|up)\b(?=\s*[{\[)])", expr))


for a in alerts:
    unknown = series_names(a["expr"]) - exported
    check(series_names(a["expr"]) and not unknown, f"{a['alert']}: names only series ragd exports {sorted(unknown) or ''}")

# ---- dashboards -------------------------------------------------------------------------
KNOWN_VARS = {"job", "instance", "__rate_interval", "__range", "__interval"}
boards = {}
for path in sorted(glob.glob(os.path.join(repo, "deploy/grafana/*.json"))):
    boards[os.path.basename(path)] = json.load(open(path, encoding="utf-8"))
check(len(boards) == 4, f"{len(boards)} dashboards in deploy/grafana")
check(len({b["uid"] for b in boards.values()}) == len(boards), "dashboard uids are unique")
queries = 0
for file, b in boards.items():
    variables = {v["name"]: v for v in b["templating"]["list"]}
    check(variables.get("datasource", {}).get("type") == "datasource"
          and variables["datasource"].get("query") == "prometheus", f"{file}: a Prometheus ${{datasource}} variable")
    panels = b["panels"]
    check(len({p["id"] for p in panels}) == len(panels), f"{file}: panel ids are unique")
    cells, problems = set(), []
    for p in panels:
        g = p["gridPos"]
        if g["x"] < 0 or g["x"] + g["w"] > 24:
            problems.append(f"{p['title']}: outside the 24 columns")
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    problems.append(f"{p['title']}: overlaps another panel")
                cells.add((x, y))
        if p["type"] == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}" or not p.get("targets"):
            problems.append(f"{p['title']}: no targets or not on ${{datasource}}")
        for t in p.get("targets", []):
            queries += 1
            used = set(re.findall(r"\$\{?(\w+)", t.get("expr", "")))
            if not t.get("refId") or not t.get("expr") or t.get("datasource", {}).get("uid") != "${datasource}":
                problems.append(f"{p['title']}: a target without refId, expr or datasource")
            if used - KNOWN_VARS:
                problems.append(f"{p['title']}: unknown variables {sorted(used - KNOWN_VARS)}")
            unknown = series_names(t["expr"]) - exported
            if not series_names(t["expr"]) or unknown:
                problems.append(f"{p['title']}: series ragd does not export {sorted(unknown)}")
    check(not problems, f"{file}: {len(panels)} panels on the grid, every query valid {problems or ''}")
check(queries > 50, f"{queries} panel queries in all")

# ---- Kubernetes -------------------------------------------------------------------------
from cloudcoil.models.prometheus_operator import v1 as operator  # noqa: E402  (slow import)
from pydantic import BaseModel, ValidationError  # noqa: E402


def unknown_fields(model, data, path):
    """Keys of `data` that no field of the pydantic `model` (or the models nested in its
    fields' types) declares: pydantic itself ignores them, Kubernetes would reject them."""
    if isinstance(data, list):
        return [u for i, item in enumerate(data) for u in unknown_fields(model, item, f"{path}[{i}]")]
    if not isinstance(data, dict) or not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    found = []
    for key, value in data.items():
        if key not in fields:
            found.append(f"{path}.{key}")
            continue
        for candidate in models_in(fields[key].annotation):
            found += unknown_fields(candidate, value, f"{path}.{key}")
            break
    return found


def models_in(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in models_in(arg)]


def docs_of(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


docs = docs_of(k8s_out)
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
for kind in ("ServiceMonitor", "PrometheusRule"):
    check(len(by_kind.get(kind, [])) == 1, f"k8s/monitoring: one {kind}")
    for d in by_kind.get(kind, []):
        model = getattr(operator, kind)
        try:
            model.model_validate(d)
            errors = []
        except ValidationError as error:
            errors = [str(error)]
        errors += unknown_fields(model, d, kind)
        check(not errors, f"k8s/monitoring: {kind} matches the monitoring.coreos.com/v1 CRD schema {errors or ''}")
check(by_kind["PrometheusRule"][0]["spec"]["groups"] == plain["groups"], "k8s: the built PrometheusRule holds the plain rules")


def selected_services(documents):
    monitor = next(d for d in documents if d["kind"] == "ServiceMonitor")
    wanted = monitor["spec"]["selector"]["matchLabels"]
    return monitor, [d for d in documents if d["kind"] == "Service"
                     and all(d["metadata"].get("labels", {}).get(k) == v for k, v in wanted.items())
                     and d["metadata"].get("namespace") == monitor["metadata"].get("namespace")]


monitor, services = selected_services(docs)
check([s["metadata"]["name"] for s in services] == ["ragd"], "k8s: the ServiceMonitor selects the Service ragd")
ports = {p.get("name") for s in services for p in s["spec"]["ports"]}
check(all(e["port"] in ports and e.get("path") == "/metrics" for e in monitor["spec"]["endpoints"]),
      "k8s: the ServiceMonitor scrapes /metrics on a named port of that Service")
deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "ragd")
annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
nginx = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "nginx")
http = next(p["containerPort"] for p in nginx["ports"] if p["name"] == "http")
scraped_port = monitor["spec"]["endpoints"][0]["port"]
target_port = next((p["targetPort"] for s in services for p in s["spec"]["ports"] if p["name"] == scraped_port), None)
check(target_port == "http" and str(http) == annotations.get("prometheus.io/port"),
      f"k8s: that port is nginx's http port {http}, as the pod's prometheus.io annotations say")
_, services_e5 = selected_services(docs_of(k8s_e5_out))
check([s["metadata"]["name"] for s in services_e5] == ["ragd"],
      "k8s with the e5 component too: the ServiceMonitor selects ragd, not ragd-e5")

maps = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "ragd-grafana-dashboards"]
check(len(maps) == 1, "k8s: the ConfigMap ragd-grafana-dashboards, its name without a hash suffix")
if maps:
    cm = maps[0]
    check(cm["metadata"].get("labels", {}).get("grafana_dashboard") == "1", 'k8s: labelled grafana_dashboard: "1"')
    check({k: json.loads(v) for k, v in cm["data"].items()} == boards, "k8s: its files are deploy/grafana's dashboards")
    size = sum(len(v.encode()) for v in cm["data"].values())
    check(size < 200 * 1024, f"k8s: {size // 1024} KiB of dashboards (kubectl apply's annotation limit is 256 KiB)")

failures = 0
for ok, text in results:
    print(("ok   - " if ok else "FAIL - ") + text)
    failures += not ok
sys.exit(1 if failures else 0)
