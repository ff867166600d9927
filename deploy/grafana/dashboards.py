"""ragd's Grafana dashboards, as data. `python3 deploy/generate.py` writes them as JSON to
deploy/grafana/*.json and k8s/monitoring/dashboards/*.json; do not edit the JSON by hand.

Queries name only series ragd exports (README, "What /metrics exposes") and Prometheus's
own `up`. Two shorthands are expanded when the JSON is written:
  $sel    the dashboard's filter: job="$job", instance=~"$instance"
  $api    leaves out probes and scrapes: endpoint!~"/health.*|/metrics|/status"
`or vector(0)` appears only in ratios of error counters (0 % beats "No data" while nothing
fails); scripts/monitoring-check.sh also runs those queries without it, against a stack
where it made each error happen.
"""

SEL = 'job="$job", instance=~"$instance"'
API = 'endpoint!~"/health.*|/metrics|/status"'
DS = {"type": "prometheus", "uid": "${datasource}"}


def expand(expr):
    return expr.replace("$sel", SEL).replace("$api", API)


def target(expr, legend=""):
    return {"expr": expand(expr), "legendFormat": legend}


def quantiles(metric, by, qs=(0.5, 0.95, 0.99), where="$sel"):
    """histogram_quantile targets, one per quantile, legend "<labels> p<q>"."""
    labels = " ".join("{{%s}}" % label for label in by)
    group = ", ".join(("le",) + tuple(by))
    return [target(f"histogram_quantile({q}, sum by ({group}) (rate({metric}{{{where}}}[$__rate_interval])))",
                   f"{labels} p{int(q * 100)}".strip()) for q in qs]


def row(title):
    return {"type": "row", "title": title}


def graph(title, targets, unit="short", desc="", w=12, h=8, stack=False, max_=None):
    defaults = {"unit": unit, "min": 0, "custom": {"fillOpacity": 25 if stack else 10, "showPoints": "never",
                                                   "stacking": {"mode": "normal" if stack else "none"}}}
    if max_ is not None:
        defaults["max"] = max_
    return {"type": "timeseries", "title": title, "description": desc, "w": w, "h": h, "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def stat(title, expr, unit="short", desc="", warn=None, crit=None, w=4, h=4):
    steps = [{"color": "green", "value": None}]
    steps += [{"color": color, "value": value} for color, value in (("orange", warn), ("red", crit)) if value is not None]
    return {"type": "stat", "title": title, "description": desc, "w": w, "h": h, "targets": [target(expr)],
            "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
                            "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "area", "textMode": "auto", "justifyMode": "auto"}}


POOL = ("ragd-pool", "ragd / Pool", "The preforked worker pool: workers, threads, the accept queue, restarts.", [
    row("Now"),
    stat("Workers serving", 'sum(rag_pool_workers{$sel, state=~"idle|busy"})',
         desc="Workers idle or busy (booting and stopping ones left out)."),
    stat("Thread utilization", "max(rag_pool_utilization{$sel})", "percentunit", warn=0.7, crit=0.8,
         desc="Busy threads / all serving threads, of the busiest pod. Above 0.7 at peak: add threads or pods."),
    stat("Busy threads", "sum(rag_pool_busy_threads{$sel})"),
    stat("Listen queue, most seen", "max(rag_pool_listen_queue_max{$sel})", warn=1,
         desc="Most connections ever seen waiting in a pod's accept queue: above 0, requests have waited for a thread."),
    stat("Worker restarts in range", "sum(increase(rag_pool_worker_restarts_total{$sel}[$__range]))", warn=1,
         desc="Workers that left the pool for any reason, reloads and recycling included."),
    stat("Uptime of the oldest master", "time() - min(process_start_time_seconds{$sel})", "s"),
    row("Workers and threads"),
    graph("Workers by state", [target("sum by (state) (rag_pool_workers{$sel})", "{{state}}")], stack=True),
    graph("Thread utilization by pod", [target("rag_pool_utilization{$sel}", "{{instance}}")], "percentunit", max_=1,
          desc="Busy threads / serving threads at each scrape. Near 1, new requests queue in the kernel."),
    graph("Threads", [target("sum(rag_pool_threads{$sel})", "serving threads"),
                      target("sum(rag_pool_busy_threads{$sel})", "busy now"),
                      target("sum(rag_pool_max_busy_threads{$sel})", "most busy at once since start")]),
    graph("Requests accepted by workers", [target(
        "sum by (instance) (rate(rag_pool_accepted_requests_total{$sel}[$__rate_interval]))", "{{instance}}")], "reqps"),
    row("Accept queue and restarts"),
    graph("Listen queue", [target("sum by (instance) (rag_pool_listen_queue{$sel})", "waiting now {{instance}}"),
                           target("max by (instance) (rag_pool_listen_queue_max{$sel})", "most seen {{instance}}")],
          w=9, desc="Connections waiting in the FastCGI socket's accept queue because every thread was busy."),
    stat("Listen backlog", "max(rag_pool_listen_backlog{$sel})", w=3, h=8,
         desc="The accept queue's limit (BACKLOG, capped by net.core.somaxconn)."),
    graph("Worker restarts by reason", [target(
        "sum by (reason) (increase(rag_pool_worker_restarts_total{$sel}[$__rate_interval]))", "{{reason}}")],
          desc="crash, timeout and exit are failures; reload, max_requests and scale_down are planned."),
    row("Resources"),
    graph("Resident memory (master and workers)", [target("process_resident_memory_bytes{$sel}", "{{instance}}")],
          "bytes", w=8),
    graph("CPU (master and workers)", [target(
        "rate(process_cpu_seconds_total{$sel}[$__rate_interval])", "{{instance}}")], w=8,
          desc="Cores in use: CPU seconds per second."),
    graph("Metrics series dropped", [target(
        "sum(increase(rag_metrics_series_dropped_total{$sel}[$__rate_interval]))", "label sets sent to __overflow__")],
          w=8, desc="Above 0: the metrics store (4096 series) is full and new label sets are lumped together."),
])

HTTP = ("ragd-http", "ragd / HTTP", "Requests answered by ragd: rate, status, latency per route.", [
    row("Now"),
    stat("Requests", "sum(rate(rag_requests_total{$sel}[$__rate_interval]))", "reqps", w=6),
    stat("5xx ratio (API)", '(sum(rate(rag_requests_total{$sel, $api, status=~"5.."}[$__rate_interval])) or vector(0))'
         " / sum(rate(rag_requests_total{$sel, $api}[$__rate_interval]))", "percentunit", warn=0.01, crit=0.05, w=6,
         desc="Share of API requests (probes and scrapes left out) answered 5xx."),
    stat("p99 search latency", "histogram_quantile(0.99, sum by (le) (rate("
         'rag_request_latency_seconds_bucket{$sel, endpoint="/v1/search"}[$__rate_interval])))', "s",
         warn=1, crit=2.5, w=6, desc="SLO: 2.5 s (alert RagdLatencyHigh)."),
    stat("Answers", 'sum(rate(rag_requests_total{$sel, endpoint="/v1/query"}[$__rate_interval]))', "reqps", w=6),
    row("Traffic"),
    graph("Requests by route", [target(
        "sum by (method, endpoint) (rate(rag_requests_total{$sel}[$__rate_interval]))", "{{method}} {{endpoint}}")],
          "reqps", desc="endpoint is the route template; unmatched: paths no route knows."),
    graph("Responses by status", [target(
        "sum by (status) (rate(rag_requests_total{$sel}[$__rate_interval]))", "{{status}}")], "reqps", stack=True),
    row("Errors"),
    graph("Errors by status and route", [target(
        'sum by (status, method, endpoint) (rate(rag_requests_total{$sel, status=~"[45].."}[$__rate_interval]))',
        "{{status}} {{method}} {{endpoint}}")], "reqps",
          desc="401/403: tokens; 404: unknown ids or paths; 413/415/422: bad input; 429: rate limit; "
               "502/503/504: a dependency failed (see ragd / Dependencies)."),
    graph("5xx ratio (API)", [target(
        '(sum(rate(rag_requests_total{$sel, $api, status=~"5.."}[$__rate_interval])) or vector(0))'
        " / sum(rate(rag_requests_total{$sel, $api}[$__rate_interval]))", "5xx share")], "percentunit",
          desc="Alert RagdHighErrorRate above 5 % for 10 minutes."),
    row("Latency (time in the worker)"),
    graph("p50 by route", quantiles("rag_request_latency_seconds_bucket", ("method", "endpoint"), (0.5,)), "s"),
    graph("p90 by route", quantiles("rag_request_latency_seconds_bucket", ("method", "endpoint"), (0.9,)), "s"),
    graph("p99 by route", quantiles("rag_request_latency_seconds_bucket", ("method", "endpoint"), (0.99,)), "s",
          desc="Buckets from 1 ms to 80 s. A streamed answer counts until its last byte."),
    graph("Mean by route", [target(
        "sum by (method, endpoint) (rate(rag_request_latency_seconds_sum{$sel}[$__rate_interval]))"
        " / sum by (method, endpoint) (rate(rag_request_latency_seconds_count{$sel}[$__rate_interval]))",
        "{{method}} {{endpoint}}")], "s"),
])

RAG = ("ragd-rag", "ragd / RAG", "The answer pipeline: stages, the LLM, caches, rate limits, ingestion.", [
    row("Now"),
    stat("Answers", 'sum(rate(rag_requests_total{$sel, endpoint="/v1/query"}[$__rate_interval]))', "reqps", w=6),
    stat("Answer cache hit ratio", 'sum(rate(rag_cache_requests_total{$sel, cache="answer", result="hit"}[$__rate_interval]))'
         ' / sum(rate(rag_cache_requests_total{$sel, cache="answer"}[$__rate_interval]))', "percentunit", w=6),
    stat("p95 time to first token", "histogram_quantile(0.95, sum by (le) (rate("
         "rag_llm_time_to_first_token_seconds_bucket{$sel}[$__rate_interval])))", "s", warn=5, crit=10, w=6),
    stat("Completion tokens", 'sum(rate(rag_llm_tokens_total{$sel, kind="completion"}[$__rate_interval]))',
         "short", w=6, desc="Tokens per second the LLM reported writing."),
    row("Pipeline stages"),
    graph("Stage latency", quantiles("rag_query_latency_seconds_bucket", ("stage",)), "s",
          desc="embed: the question's vector; retrieve: Milvus + BM25 in PostgreSQL, fused; rerank: the "
               "reranker (with RERANK_URL); generate: the LLM, whole answer."),
    graph("Stage runs", [target("sum by (stage) (rate(rag_query_latency_seconds_count{$sel}[$__rate_interval]))",
                                "{{stage}}")], "ops"),
    row("LLM"),
    graph("Time to first token", quantiles("rag_llm_time_to_first_token_seconds_bucket", ()), "s", w=8),
    graph("Tokens by kind", [target("sum by (kind) (rate(rag_llm_tokens_total{$sel}[$__rate_interval]))", "{{kind}}")],
          w=8, desc="Tokens per second the LLM reported (prompt, completion)."),
    graph("Generations by outcome", [target(
        "sum by (outcome) (rate(rag_llm_requests_total{$sel}[$__rate_interval]))", "{{outcome}}")], "ops", w=8,
          stack=True, desc="ok; aborted: the client left; the others are failures (ragd / Dependencies)."),
    row("Caches and rate limit"),
    graph("Cache hit ratio", [target(
        'sum by (cache) (rate(rag_cache_requests_total{$sel, result="hit"}[$__rate_interval]))'
        " / sum by (cache) (rate(rag_cache_requests_total{$sel}[$__rate_interval]))", "{{cache}}")],
          "percentunit", w=8, max_=1, desc="answer: whole answers; embedding: question vectors (remote embedders only)."),
    graph("Cache lookups", [target(
        "sum by (cache, result) (rate(rag_cache_requests_total{$sel}[$__rate_interval]))", "{{cache}} {{result}}")],
          "ops", w=8, desc="bypassed: Redis was unavailable."),
    graph("Rate-limit refusals", [target("sum(rate(rag_rate_limit_rejections_total{$sel}[$__rate_interval]))", "429 refused"),
                                  target("sum(rate(rag_rate_limit_fail_open_total{$sel}[$__rate_interval]))",
                                         "admitted unchecked (Redis down)")], "reqps", w=8),
    row("Ingestion and search"),
    graph("Documents ingested", [target(
        'sum by (status) (rate(rag_requests_total{$sel, method="POST", endpoint="/v1/documents"}[$__rate_interval]))',
        "{{status}}")], "reqps", w=8, stack=True, desc="201: new; 200: a duplicate; 4xx/5xx: refused or failed."),
    graph("Ingest latency", quantiles("rag_request_latency_seconds_bucket", (), (0.5, 0.95),
                                      '$sel, method="POST", endpoint="/v1/documents"'), "s", w=8,
          desc="Grows with the upload: chunking, embedding every chunk, Milvus, the keyword index."),
    graph("Searches and answers", [target(
        'sum by (endpoint, status) (rate(rag_requests_total{$sel, endpoint=~"/v1/search|/v1/query"}[$__rate_interval]))',
        "{{endpoint}} {{status}}")], "reqps", w=8),
])

DEPENDENCIES = ("ragd-dependencies", "ragd / Dependencies", "Readiness; PostgreSQL, Milvus, Redis and LLM failures.", [
    row("Now"),
    stat("Targets up", "sum(up{$sel})", w=6, desc="ragd pods Prometheus scrapes successfully."),
    stat("Readiness checks failing", '(sum(rate(rag_requests_total{$sel, endpoint="/health/ready", status!="200"}'
         '[$__rate_interval])) or vector(0)) / sum(rate(rag_requests_total{$sel, endpoint="/health/ready"}[$__rate_interval]))',
         "percentunit", warn=0.01, crit=0.5, w=6),
    stat("LLM failure ratio", '(sum(rate(rag_llm_requests_total{$sel, outcome!~"ok|aborted"}[$__rate_interval]))'
         " or vector(0)) / sum(rate(rag_llm_requests_total{$sel}[$__rate_interval]))", "percentunit",
         warn=0.01, crit=0.1, w=6),
    stat("Redis: requests admitted unchecked", "sum(rate(rag_rate_limit_fail_open_total{$sel}[$__rate_interval]))",
         "reqps", warn=0.001, w=6, desc="Above 0: the rate limiter cannot reach Redis (RATE_LIMIT_FAIL_OPEN)."),
    row("Readiness"),
    graph("Scrape target up", [target("up{$sel}", "{{instance}}")], max_=1),
    graph("Readiness checks by status", [target(
        'sum by (instance, status) (rate(rag_requests_total{$sel, endpoint="/health/ready"}[$__rate_interval]))',
        "{{instance}} {{status}}")], "reqps",
          desc="/health/ready checks PostgreSQL, Redis and Milvus; 503 when one fails (the kubelet probes it every 5 s)."),
    row("Failures"),
    graph("Dependency failures by route (502/503/504)", [target(
        'sum by (method, endpoint, status) (rate(rag_requests_total{$sel, status=~"502|503|504"}[$__rate_interval]))',
        "{{status}} {{method}} {{endpoint}}")], "reqps",
          desc="/v1/documents and /v1/search: PostgreSQL, Milvus or the embedder; /v1/query: those or the LLM; "
               "any /v1 route with 503: Redis when RATE_LIMIT_FAIL_OPEN=false. The response body names the dependency."),
    graph("LLM generations that did not end ok", [target(
        'sum by (outcome) (rate(rag_llm_requests_total{$sel, outcome!="ok"}[$__rate_interval]))', "{{outcome}}")],
          "ops", desc="unavailable (5xx or unreachable), timeout, rate_limited, unauthorized, bad_request, "
                      "invalid_response, interrupted; aborted: the client left."),
    graph("Redis unreachable", [
        target('sum by (cache) (rate(rag_cache_requests_total{$sel, result="bypassed"}[$__rate_interval]))',
               "{{cache}} cache bypassed"),
        target("sum(rate(rag_rate_limit_fail_open_total{$sel}[$__rate_interval]))", "rate limit not checked")], "ops"),
    graph("Backend latency p95", [
        *quantiles("rag_query_latency_seconds_bucket", ("stage",), (0.95,), '$sel, stage=~"embed|retrieve|rerank"'),
        *quantiles("rag_request_latency_seconds_bucket", (), (0.95,), '$sel, endpoint="/health/ready"')], "s",
          desc="embed: the embedder; retrieve: Milvus and PostgreSQL; rerank: the reranker; readiness: all three checks."),
])

ALL = [POOL, HTTP, RAG, DEPENDENCIES]


def variables():
    def query(name, label, definition, include_all):
        var = {"type": "query", "name": name, "label": label, "datasource": DS, "query": definition,
               "definition": definition, "refresh": 2, "sort": 1, "hide": 0, "regex": "",
               "includeAll": include_all, "multi": include_all, "current": {}, "options": []}
        if include_all:
            var["allValue"] = ".+"
            var["current"] = {"selected": True, "text": ["All"], "value": ["$__all"]}
        return var
    return [{"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus",
             "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []},
            query("job", "Job", "label_values(rag_pool_threads, job)", False),
            query("instance", "Instance", 'label_values(rag_pool_threads{job="$job"}, instance)', True)]


def layout(items):
    """Grafana panels with ids and gridPos: left to right, wrapping at 24 columns."""
    panels, x, y, line_h = [], 0, 0, 0
    for n, item in enumerate(items, start=1):
        panel = dict(item)
        if panel["type"] == "row":
            y += line_h
            panel.update({"id": n, "collapsed": False, "panels": [], "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}})
            x, y, line_h = 0, y + 1, 0
        else:
            w, h = panel.pop("w"), panel.pop("h")
            if x + w > 24:
                x, y, line_h = 0, y + line_h, 0
            panel.update({"id": n, "datasource": DS, "gridPos": {"h": h, "w": w, "x": x, "y": y}})
            panel["targets"] = [dict(t, refId=chr(ord("A") + i), datasource=DS) for i, t in enumerate(panel["targets"])]
            x, line_h = x + w, max(line_h, h)
        panels.append(panel)
    return panels


def dashboard(uid, title, description, items):
    return {"uid": uid, "title": title, "description": description, "tags": ["ragd"], "editable": True,
            "schemaVersion": 39, "version": 1, "graphTooltip": 1, "refresh": "30s", "timezone": "",
            "time": {"from": "now-3h", "to": "now"}, "annotations": {"list": []},
            "links": [{"type": "dashboards", "tags": ["ragd"], "asDropdown": True, "title": "ragd dashboards",
                       "includeVars": True, "keepTime": True}],
            "templating": {"list": variables()}, "panels": layout(items)}


def build():
    """{file name: dashboard} for every dashboard."""
    return {f"{uid}.json": dashboard(uid, title, description, items) for uid, title, description, items in ALL}
