#!/usr/bin/env python3
"""Every dashboard panel returns data from a real Prometheus scraping a live ragd stack.

scripts/monitoring-check.sh runs this with its settings in the environment:
  RAGD_MON_BASE_URL         the API through nginx (https://127.0.0.1:8443)
  RAGD_MON_METRICS_URL      /metrics as Prometheus scrapes it (http://127.0.0.1:8080/metrics)
  RAGD_MON_TOKEN            a token with documents:read documents:write query
  RAGD_MON_LLM_CONTROL_URL  the test LLM's /_control (scripts a failure)
  RAGD_MON_REDIS_URL        the stack's Redis (paused for a few seconds)
  RAGD_MON_KILL_WORKER      1: kill -9 one worker (it must run on this machine); 0: do not
  RAGD_MON_PROMETHEUS, RAGD_MON_PROMETHEUS_PORT, RAGD_MON_WORKDIR  the binary, its port, a temp dir

1. Starts Prometheus (its own directory and port) scraping the metrics URL every 2 s, with
   deploy/prometheus/ragd-rules.yml loaded.
2. Drives traffic through nginx: ingest (JSON, text, a duplicate), list, read, chunks,
   search in each mode, answers (a miss, a cache hit, a stream), a 404 of each kind, a
   401, deletes; then the events whose series exist only after them: an LLM failure (502),
   Redis paused (readiness 503, cache bypassed, rate limit unchecked), a worker killed
   (restart counted as crash), and requests until the rate limiter answers 429.
3. Waits until Prometheus has scraped a sample taken after all of it and evaluated the rules.
4. Runs every query of every panel of deploy/grafana/*.json through /api/v1/query, after
   substituting the template variables (their own label_values queries, All for instance)
   and $__rate_interval/$__range (the test's duration); a query with `or vector(0)` runs
   again without it. Fails naming each dashboard, panel and query that errs or returns no
   finite sample; also fails on any rule whose evaluation errs.
"""
import glob
import http.client
import json
import math
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(REPO, "deploy/prometheus/ragd-rules.yml")
SCRAPE_SECONDS = 2


class Failure(Exception):
    pass


def say(text):
    print(f"monitoring-check: {text}", flush=True)


def wait_for(what, probe, seconds=60):
    """Polls probe() until it returns something truthy; fails naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.25)


def tls_context(host):
    # The local stack's certificate is self-signed; anything else is verified.
    return ssl._create_unverified_context() if host in ("127.0.0.1", "localhost", "::1") else ssl.create_default_context()


class API:
    """HTTP/1.1 keep-alive client for the API through nginx."""

    def __init__(self, base, token):
        url = urllib.parse.urlsplit(base)
        self.https, self.host, self.port = url.scheme == "https", url.hostname, url.port
        self.token, self.connection = token, None

    def _connect(self):
        if self.https:
            return http.client.HTTPSConnection(self.host, self.port, timeout=60, context=tls_context(self.host))
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def call(self, method, path, body=None, content_type="application/json", auth=True):
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        if body is not None:
            headers["Content-Type"] = content_type
            body = json.dumps(body).encode() if content_type == "application/json" else body.encode()
        for attempt in (1, 2):  # nginx closes a kept-alive connection now and then: reconnect once
            self.connection = self.connection or self._connect()
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, data
            except (http.client.RemoteDisconnected, ConnectionError, http.client.CannotSendRequest):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise

    def expect(self, status, method, path, body=None, **options):
        got, headers, data = self.call(method, path, body, **options)
        if got != status:
            raise Failure(f"{method} {path}: expected {status}, got {got}: {data[:300]!r}")
        return headers, data


def post_json(url, value):
    request = urllib.request.Request(url, json.dumps(value).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


# ---- traffic ------------------------------------------------------------------------------

DOCUMENTS = [
    ("Night hunters", "Cats hunt at night using their whiskers and sharp hearing. They sleep most of the day."),
    ("Owls", "Owls fly silently because of their soft feathers. They hunt mice in the dark."),
    ("猫", "猫在夜间狩猎，依靠胡须和敏锐的听觉。白天它们大多在睡觉。"),
]


def drive_traffic(api, run):
    api.expect(200, "GET", "/health", auth=False)
    for _ in range(3):
        api.expect(200, "GET", "/health/ready", auth=False)
    ids = []
    for title, text in DOCUMENTS:
        _, data = api.expect(201, "POST", "/v1/documents", {"title": f"{title} {run}", "text": f"{text} Run {run}."})
        ids.append(json.loads(data)["id"])
    _, data = api.expect(200, "POST", "/v1/documents", {"title": f"{DOCUMENTS[0][0]} {run}",
                                                        "text": f"{DOCUMENTS[0][1]} Run {run}."})
    if not json.loads(data).get("duplicate"):
        raise Failure("the same document again was not reported as a duplicate")
    _, data = api.expect(201, "POST", f"/v1/documents?title=Plain%20{run}",
                         f"Plain text about dogs, who hunt by day. Run {run}.", content_type="text/plain")
    ids.append(json.loads(data)["id"])
    api.expect(200, "GET", "/v1/documents?limit=2")
    api.expect(200, "GET", f"/v1/documents/{ids[0]}")
    api.expect(200, "GET", f"/v1/documents/{ids[0]}/chunks")
    for mode in ("hybrid", "keyword", "vector"):
        api.expect(200, "POST", "/v1/search", {"query": f"how do cats hunt {run}", "mode": mode, "top_k": 3})
    question = {"question": f"How do cats hunt at night? ({run})"}
    headers, _ = api.expect(200, "POST", "/v1/query", question)
    if headers.get("x-cache") != "miss":
        raise Failure(f"a new question: expected X-Cache: miss, got {headers.get('x-cache')}")
    headers, _ = api.expect(200, "POST", "/v1/query", question)
    if headers.get("x-cache") != "hit":
        raise Failure(f"the same question again: expected X-Cache: hit, got {headers.get('x-cache')}")
    headers, data = api.expect(200, "POST", "/v1/query", {"question": f"When do owls hunt? ({run})", "stream": True})
    if not headers.get("content-type", "").startswith("text/event-stream") or b"event: done" not in data:
        raise Failure("the streamed answer did not end with a done event")
    api.expect(404, "GET", "/v1/documents/00000000-0000-4000-8000-000000000000")
    api.expect(404, "GET", f"/no-such-path-{run}")
    api.expect(401, "GET", "/v1/documents", auth=False)
    for document in ids:
        api.expect(204, "DELETE", f"/v1/documents/{document}")
    say(f"traffic: {len(ids)} documents ingested and deleted, searches, answers (miss, hit, stream), 404, 401")


def llm_failure(api, control_url, run):
    """The test LLM fails every attempt (retries included): ragd answers 502 llm-unavailable."""
    post_json(control_url, {"fail_next": 20, "status": 503})
    try:
        _, data = api.expect(502, "POST", "/v1/query", {"question": f"Will this answer fail? ({run})"})
    finally:
        post_json(control_url, {"fail_next": 0})
    if json.loads(data).get("dependency") != "llm":
        raise Failure(f"the LLM failure did not name the llm: {data[:200]!r}")
    say("event: the LLM failed (502, outcome unavailable)")


def resp(*words):
    """A Redis command in the Redis protocol (RESP): an array of bulk strings."""
    return b"".join([f"*{len(words)}\r\n".encode()] + [f"${len(w.encode())}\r\n{w}\r\n".encode() for w in words])


def redis_command(redis_url, *args):
    url = urllib.parse.urlsplit(redis_url)
    with socket.create_connection((url.hostname, url.port or 6379), timeout=5) as s:
        if url.password:
            user = [urllib.parse.unquote(url.username)] if url.username else []
            s.sendall(resp("AUTH", *user, urllib.parse.unquote(url.password)))
            if not s.recv(512).startswith(b"+OK"):
                raise Failure("Redis refused the password")
        s.sendall(resp(*args))
        reply = s.recv(512)
        if not reply.startswith(b"+OK"):
            raise Failure(f"Redis {' '.join(args[:2])}: {reply!r}")


def redis_outage(api, redis_url, run):
    """Redis paused for 5 s: ragd admits unchecked, bypasses the cache, and is not ready."""
    redis_command(redis_url, "CLIENT", "PAUSE", "5000", "ALL")
    headers, _ = api.expect(200, "POST", "/v1/query", {"question": f"Is Redis there? ({run})"})
    if headers.get("x-cache") != "bypass":
        raise Failure(f"an answer while Redis is paused: expected X-Cache: bypass, got {headers.get('x-cache')}")
    # Each worker answers probes from its last round for up to a second.
    wait_for("readiness failing while Redis is paused", lambda: api.call("GET", "/health/ready", auth=False)[0] == 503, 4)
    wait_for("readiness after the Redis pause", lambda: api.call("GET", "/health/ready", auth=False)[0] == 200, 30)
    say("event: Redis paused for 5 s (cache bypassed, rate limit unchecked, readiness 503)")


def crash_worker(status_url):
    """kill -9 one worker of the pool; the master replaces it (reason crash)."""
    workers = get_json(status_url + "?full")["processes"]
    victim = workers[-1]
    try:
        with open(f"/proc/{victim['pid']}/cmdline", "rb") as f:
            local = b"serve" in f.read()
    except OSError:
        local = False
    if not local:
        raise Failure(f"worker pid {victim['pid']} is not a ragd on this machine (RAGD_MON_KILL_WORKER=0 skips the crash)")
    os.kill(victim["pid"], signal.SIGKILL)
    # kill() returns before the worker is gone: until then it may still accept a connection,
    # which would be lost with it (nginx: 502). Ask the pool again only once it is reaped.
    wait_for("the killed worker to be reaped", lambda: not os.path.exists(f"/proc/{victim['pid']}"), 30)

    def replaced():
        now = {w["slot"]: w for w in get_json(status_url + "?full")["processes"]}
        worker = now.get(victim["slot"])
        return worker and worker["pid"] != victim["pid"] and worker["state"] in ("idle", "busy")
    wait_for("the killed worker's replacement", replaced, 30)
    say(f"event: worker pid {victim['pid']} killed with SIGKILL and replaced")


def provoke_429(api):
    for n in range(1, 2001):
        status, headers, data = api.call("GET", "/v1/documents?limit=1")
        if status == 429:
            say(f"event: 429 after {n} requests (Retry-After {headers.get('retry-after')})")
            return
        if status != 200:
            raise Failure(f"GET /v1/documents while provoking a 429: {status} {data[:200]!r}")
    raise Failure("no 429 after 2000 requests")


# ---- Prometheus ---------------------------------------------------------------------------

class Prometheus:
    def __init__(self, binary, port, workdir, metrics_url):
        self.url = f"http://127.0.0.1:{port}"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                raise Failure(f"port {port} is in use (RAGD_MON_PROMETHEUS_PORT picks another)")
        target = urllib.parse.urlsplit(metrics_url)
        config = {"global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "scrape_timeout": f"{SCRAPE_SECONDS}s",
                             "evaluation_interval": f"{SCRAPE_SECONDS}s"},
                  "rule_files": [RULES],
                  "scrape_configs": [{"job_name": "ragd", "scheme": target.scheme, "metrics_path": target.path,
                                      "static_configs": [{"targets": [target.netloc]}],
                                      "tls_config": {"insecure_skip_verify": True}}]}
        path = os.path.join(workdir, "prometheus.yml")
        with open(path, "w") as f:
            json.dump(config, f)  # JSON is YAML
        self.log = open(os.path.join(workdir, "prometheus.log"), "w")
        self.process = subprocess.Popen(
            [binary, f"--config.file={path}", f"--storage.tsdb.path={workdir}/data", "--storage.tsdb.retention.time=1h",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, TZ="UTC"))  # the rules API's timestamps, compared in UTC below
        self.started = time.time()
        wait_for("Prometheus to be ready", self.ready, 60)

    def ready(self):
        if self.process.poll() is not None:
            raise Failure(f"Prometheus exited ({self.process.returncode}); see {self.log.name}")
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def api(self, path, **params):
        body = get_json(f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}")
        if body.get("status") != "success":
            raise Failure(f"{path}: {body}")
        return body["data"]

    def query(self, expr):
        """(finite sample values, error text or None)."""
        try:
            data = self.api("query", query=expr)
        except urllib.error.HTTPError as error:
            return [], json.load(error).get("error", str(error))
        if data["resultType"] == "scalar":
            values = [data["result"][1]]
        else:
            values = [sample["value"][1] for sample in data["result"]]
        return [float(v) for v in values if math.isfinite(float(v))], None


# ---- the checks ---------------------------------------------------------------------------

def label_values(prom, definition, job):
    match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", definition.replace("$job", job))
    if not match:
        raise Failure(f"unsupported variable query {definition}")
    return prom.api(f"label/{match.group(2)}/values", **{"match[]": match.group(1)})


def run_dashboards(prom, window):
    failed, fallback_checked, panels, targets = 0, 0, 0, 0
    boards = sorted(glob.glob(os.path.join(REPO, "deploy/grafana/*.json")))
    for path in boards:
        board = json.load(open(path, encoding="utf-8"))
        variables = {v["name"]: v for v in board["templating"]["list"]}
        jobs = label_values(prom, variables["job"]["query"], "")
        if "ragd" not in jobs:
            raise Failure(f"{board['title']}: variable job offers {jobs}, not ragd")
        if not label_values(prom, variables["instance"]["query"], "ragd"):
            raise Failure(f"{board['title']}: variable instance offers nothing")
        subst = {"$job": "ragd", "$instance": variables["instance"]["allValue"], "$__rate_interval": window,
                 "$__range": window, "$__interval": f"{SCRAPE_SECONDS}s"}
        count, failed_before = 0, failed
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            panels += 1
            for target in panel["targets"]:
                targets += 1
                expr = target["expr"]
                for name in sorted(subst, key=len, reverse=True):
                    expr = expr.replace(name, subst[name])
                variants = [expr]
                if "or vector(0)" in expr:
                    variants.append(re.sub(r"\s+or vector\(0\)", "", expr))
                    fallback_checked += 1
                for n, variant in enumerate(variants):
                    values, error = prom.query(variant)
                    count += 1
                    if values and not error:
                        continue
                    failed += 1
                    what = "without its `or vector(0)`" if n else ""
                    print(f"FAIL - {board['title']} / {panel['title']} [{target['refId']}] {what}: "
                          f"{error or 'no data'}\n       {variant}", flush=True)
        print(f"{'ok  ' if failed == failed_before else 'FAIL'} - {board['title']}: "
              f"{sum(p['type'] != 'row' for p in board['panels'])} panels, {count} queries returned data", flush=True)
    return len(boards), panels, targets, failed, fallback_checked


def check_rules(prom, window, crashed):
    failures = []
    for group in prom.api("rules")["groups"]:
        for rule in group["rules"]:
            if rule.get("health") != "ok":
                failures.append(f"rule {rule['name']}: {rule.get('health')} {rule.get('lastError', '')}")
    names = set(prom.api("label/__name__/values"))
    rules_text = open(RULES, encoding="utf-8").read()
    for name in sorted(set(re.findall(r"\b((?:rag|process)_[a-z_]+)\b", rules_text))):
        if name not in names:
            failures.append(f"the rules name {name}, which Prometheus never scraped")
    def counted(series):
        # increase() is 0 for a series whose first sample already holds the event (it
        # appeared at 1 and stayed there): such a series counts when it did not exist at
        # the start of the window.
        return (f"(sum(increase({series}[{window}])) > 0) or "
                f"(sum(max_over_time({series}[{window}])) > 0 unless sum({series} offset {window}) >= 0)")
    events = [("a 429", counted("rag_rate_limit_rejections_total")),
              ("an LLM failure", counted('rag_llm_requests_total{outcome="unavailable"}')),
              ("a bypassed cache", counted('rag_cache_requests_total{result="bypassed"}'))]
    if crashed:
        events.append(("a worker crash", counted('rag_pool_worker_restarts_total{reason="crash"}')))
    for what, expr in events:
        if not prom.query(expr)[0]:
            failures.append(f"Prometheus did not count {what}: {expr}")
    for failure in failures:
        print(f"FAIL - {failure}", flush=True)
    print(f"{'ok  ' if not failures else 'FAIL'} - rules evaluate without errors on live data; "
          "every series they name was scraped; the driven events were counted", flush=True)
    return failures


def metric_value(metrics_url, name):
    with urllib.request.urlopen(metrics_url, timeout=10, context=tls_context(urllib.parse.urlsplit(metrics_url).hostname)) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise Failure(f"{name} missing from {metrics_url}")


def main():
    env = os.environ
    base, metrics_url, token = env["RAGD_MON_BASE_URL"], env["RAGD_MON_METRICS_URL"], env["RAGD_MON_TOKEN"]
    status_url = metrics_url.rsplit("/metrics", 1)[0] + "/status"
    run = uuid.uuid4().hex[:8]
    prom = Prometheus(env.get("RAGD_MON_PROMETHEUS", "prometheus"), int(env.get("RAGD_MON_PROMETHEUS_PORT", "59090")),
                      env["RAGD_MON_WORKDIR"], metrics_url)
    try:
        say(f"Prometheus {prom.url} scraping {metrics_url} every {SCRAPE_SECONDS} s")
        wait_for("the first scrape of ragd", lambda: prom.query('rag_pool_threads{job="ragd"} and on () up{job="ragd"} == 1')[0])
        api = API(base, token)
        # Twice, with a scrape between: rate() needs a series to grow between two scrapes,
        # and on a fresh ragd a series first appears with the traffic's whole count.
        drive_traffic(api, run)
        accepted = metric_value(metrics_url, "rag_pool_accepted_requests_total")
        wait_for("a scrape after the first traffic",
                 lambda: prom.query(f'rag_pool_accepted_requests_total{{job="ragd"}} >= {accepted}')[0], 30)
        drive_traffic(api, run + "b")
        llm_failure(api, env["RAGD_MON_LLM_CONTROL_URL"], run)
        redis_outage(api, env["RAGD_MON_REDIS_URL"], run)
        crashed = env.get("RAGD_MON_KILL_WORKER", "1") == "1"
        if crashed:
            crash_worker(status_url)
        provoke_429(api)
        # The scrape that follows everything: the pool's accepted-request count (pool-wide,
        # so it cannot go backwards) at least what it is now, then one evaluation more.
        accepted = metric_value(metrics_url, "rag_pool_accepted_requests_total")
        wait_for("a scrape after the traffic",
                 lambda: prom.query(f'rag_pool_accepted_requests_total{{job="ragd"}} >= {accepted}')[0], 30)
        scraped = time.time()

        def evaluated():
            groups = prom.api("rules")["groups"]
            return all(g.get("lastEvaluation", "")[:19] >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(scraped))
                       for g in groups)
        wait_for("a rule evaluation after that scrape", evaluated, 30)
        window = f"{int(time.time() - prom.started) + 30}s"
        say(f"scraped; queries use $__rate_interval = $__range = {window} (since Prometheus started)")
        rule_failures = check_rules(prom, window, crashed)
        boards, panels, targets, failed, fallbacks = run_dashboards(prom, window)
    finally:
        prom.stop()
    if failed or rule_failures:
        say(f"{failed} panel queries (of {targets}, {fallbacks} run twice) returned no data or an error; "
            f"{len(rule_failures)} rule problems")
        return 1
    say(f"{boards} dashboards, {panels} panels, {targets} panel queries: all returned data "
        f"({fallbacks} of them also without their `or vector(0)`); every rule evaluated cleanly")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(f"FAIL - {failure}", flush=True)
        sys.exit(1)
