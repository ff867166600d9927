#!/usr/bin/env python3
"""/v1/query through nginx: ragd's own overhead per query, and concurrent 10 s streams.

    scripts/stack.sh services && swift build -c release
    bench/query.py [--queries 400] [--workers 2] [--threads 4]
                   [--streams 64,128] [--stream-workers 2] [--stream-threads 64] [--stream-seconds 10]

Starts its own pieces around the running services (.stack/services.env): the project's
test LLM server (Tests/tools/fake_openai.py) for chat, a release ragd, and nginx rendered
from nginx/templates over HTTPS on a free port. Nothing of the local stack's ragd/nginx
is touched.

1. Overhead: --queries non-streamed queries, one client, answer cache off (every query
   runs the whole pipeline; the test LLM answers at once). ragd reports where the time
   went (`timings`: embed, retrieve, rerank, generate = its backends: embedder,
   PostgreSQL + Milvus, the reranker, the LLM); overhead = client-measured total minus
   those, i.e. nginx + TLS + FastCGI + auth + rate limit (Redis) + cache lookup
   (PostgreSQL corpus version, Redis) + prompt building + JSON. p50/p99 of each, on one
   kept-alive HTTPS connection.
2. Streams: the test LLM streams each answer over --stream-seconds; for each level in
   --streams, that many streamed queries start at once on a ragd with
   --stream-workers x --stream-threads serving threads. Reported: how many completed with
   a `done` event and no error, how long the slowest took (about --stream-seconds when
   they really ran at once) and the pool's peak total RSS (master + workers, sampled every
   0.2 s from /proc).
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def services_env():
    env = {}
    for line in (REPO / ".stack" / "services.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    return env


def tls():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Stack:
    """fake LLM + ragd + nginx in a temporary directory."""

    def __init__(self, workers, threads, binary):
        self.dir = tempfile.mkdtemp(prefix="ragd-bench-query-")
        os.chmod(self.dir, 0o755)
        self.https = free_port()
        self.fake = subprocess.Popen(["/usr/bin/python3", str(REPO / "Tests/tools/fake_openai.py"), "--port", "0",
                                      "--api-key", "bench-key"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        self.fake_port = int(self.fake.stdout.readline().split()[1])
        socket_path = self.dir + "/ragd.sock"
        env = {"PATH": "/usr/bin:/bin", "HOME": "/root", "ENV_FILE": ""}
        env.update(services_env())
        env.update({
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123", "ENVIRONMENT": "development",
            "FCGI_LISTEN": socket_path, "FCGI_SOCKET_MODE": "0666", "WORKERS": str(workers),
            "THREADS": str(threads), "LOG_LEVEL": "warning", "MIGRATE_ON_START": "true",
            "MILVUS_COLLECTION": "ragd_bench_query", "MILVUS_TIMEOUT": "30",
            "LLM_API_KEY": "bench-key", "LLM_BASE_URL": f"http://127.0.0.1:{self.fake_port}/v1",
            "LLM_MODEL": "bench-chat", "LLM_TIMEOUT": "120", "RATE_LIMIT_PER_MINUTE": "100000000",
            "CACHE_TTL_SECONDS": "0", "REQUEST_TIMEOUT": "300",
        })
        self.env = env
        self.binary = binary
        self.ragd = subprocess.Popen([binary, "serve"], env=env, stdout=open(self.dir + "/ragd.log", "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        cert, key = self.dir + "/tls.crt", self.dir + "/tls.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        os.chmod(key, 0o644)
        nginx_env = dict(os.environ, RAGD_TLS_MODE="terminate", RAGD_HTTP_PORT=f"127.0.0.1:{free_port()}",
                         RAGD_HTTPS_PORT=f"127.0.0.1:{self.https}", RAGD_FASTCGI_UPSTREAM="unix:" + socket_path,
                         RAGD_TLS_CERT=cert, RAGD_TLS_KEY=key, RAGD_ACCESS_LOG="/dev/null")
        subprocess.run(["bash", str(REPO / "scripts/render-nginx.sh"), self.dir + "/nginx"], env=nginx_env, check=True,
                       capture_output=True)
        subprocess.run(["chmod", "-R", "a+rX", self.dir + "/nginx"], check=True)
        self.nginx = subprocess.Popen(["/usr/sbin/nginx", "-p", self.dir + "/nginx", "-c", "nginx.conf", "-g",
                                       "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=open(self.dir + "/nginx.err", "w"))
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if self.call("GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            logs = open(self.dir + "/ragd.log").read()[-2000:] + open(self.dir + "/nginx.err").read()[-2000:]
            self.stop()
            raise SystemExit("the stack did not come up:\n" + logs)
        token = subprocess.run([binary, "token", "--tenant", "bench", "--scope", "documents:read documents:write query",
                                "--ttl", "3600"], env=env, capture_output=True, text=True, check=True)
        self.token = token.stdout.strip()

    def call(self, method, path, body=None, timeout=120, conn=None):
        """One request; on `conn` (kept alive) when given, else on a new connection."""
        own = conn is None
        if own:
            conn = http.client.HTTPSConnection("127.0.0.1", self.https, context=tls(), timeout=timeout)
        headers = {"Content-Type": "application/json"}
        if getattr(self, "token", None):
            headers["Authorization"] = "Bearer " + self.token
        started = time.perf_counter()
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        if own:
            conn.close()
        return response.status, data, elapsed

    def control(self, script):
        conn = http.client.HTTPConnection("127.0.0.1", self.fake_port, timeout=10)
        conn.request("POST", "/_control", body=json.dumps(script))
        conn.getresponse().read()
        conn.close()

    def pool_rss(self):
        """Total RSS in bytes of the master and its children."""
        master = self.ragd.pid
        pids = [master]
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
            pids += [int(p) for p in children]
        except OSError:
            pass
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def stop(self):
        self.nginx.send_signal(signal.SIGQUIT)
        os.killpg(self.ragd.pid, signal.SIGTERM)
        for process in (self.nginx, self.ragd):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.fake.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


TOPICS = ["retrieval", "vectors", "postgres", "milvus", "nginx", "fastcgi", "workers", "threads", "redis", "citations"]


def ingest(stack, documents):
    for index in range(documents):
        topic = TOPICS[index % len(TOPICS)]
        text = " ".join(f"Paragraph {p} about {topic}: the {topic} layer of a RAG server handles request {index}-{p} "
                        f"and keeps latency low under load." for p in range(6))
        status, data, _ = stack.call("POST", "/v1/documents", {"title": f"{topic} {index}", "text": text})
        if status not in (200, 201):
            raise SystemExit(f"ingest failed: {status} {data[:300]}")


def overhead(stack, queries):
    """One client on one kept-alive HTTPS connection (as a browser or an SDK would use it),
    so a TLS handshake per query does not count as ragd's overhead."""
    totals, backends, overheads = [], [], []
    conn = http.client.HTTPSConnection("127.0.0.1", stack.https, context=tls(), timeout=120)
    for index in range(queries):
        body = {"question": f"How does the {TOPICS[index % len(TOPICS)]} layer keep latency low? ({index})", "top_k": 5}
        status, data, elapsed = stack.call("POST", "/v1/query", body, conn=conn)
        if status != 200:
            raise SystemExit(f"query failed: {status} {data[:300]}")
        timings = json.loads(data)["timings"]
        backend = sum(timings[stage] for stage in ("embed", "retrieve", "rerank", "generate")) / 1000
        totals.append(elapsed * 1000)
        backends.append(backend * 1000)
        overheads.append((elapsed - backend) * 1000)
    return {name: {"p50": round(percentile(values, 50), 3), "p99": round(percentile(values, 99), 3)}
            for name, values in (("total_ms", totals), ("backend_ms", backends), ("overhead_ms", overheads))}


def one_stream(stack, index):
    """One streamed query read to its end: (ok, seconds, detail)."""
    started = time.perf_counter()
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", stack.https, context=tls(), timeout=300)
        conn.request("POST", "/v1/query", body=json.dumps({"question": f"Stream {index}: how do workers stream answers?",
                                                           "stream": True}),
                     headers={"Authorization": "Bearer " + stack.token, "Content-Type": "application/json"})
        response = conn.getresponse()
        body = response.read().decode()
        conn.close()
        ok = response.status == 200 and "event: done" in body and "event: error" not in body
        return ok, time.perf_counter() - started, "" if ok else f"{response.status} {body[-200:]}"
    except Exception as error:  # noqa: BLE001 - a benchmark reports every failure the same way
        return False, time.perf_counter() - started, repr(error)


def streams(stack, level, seconds):
    stack.control({"stream_seconds": seconds})
    peak = [stack.pool_rss()]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], stack.pool_rss())
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=level) as pool:
        results = list(pool.map(lambda i: one_stream(stack, i), range(level)))
    done.set()
    sampler.join()
    stack.control({"stream_seconds": None})
    failures = [detail for ok, _, detail in results if not ok]
    return {"streams": level, "completed": level - len(failures), "errors": len(failures),
            "slowest_s": round(max(seconds for _, seconds, _ in results), 2),
            "peak_pool_rss_mib": round(peak[0] / 2**20, 1), "first_error": failures[0] if failures else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(REPO / ".build/release/ragd"))
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--streams", default="64,128")
    parser.add_argument("--stream-workers", type=int, default=2)
    parser.add_argument("--stream-threads", type=int, default=64)
    parser.add_argument("--stream-seconds", type=float, default=10)
    args = parser.parse_args()

    report = {"machine": f"{os.cpu_count()} cpus, " + Path("/proc/meminfo").read_text().splitlines()[0]}
    stack = Stack(args.workers, args.threads, args.binary)
    try:
        ingest(stack, args.documents)
        for _ in range(20):  # warm the threads' connections
            stack.call("POST", "/v1/query", {"question": "warm up", "top_k": 5})
        report["overhead"] = dict(overhead(stack, args.queries), queries=args.queries, workers=args.workers,
                                  threads=args.threads)
    finally:
        stack.stop()

    stack = Stack(args.stream_workers, args.stream_threads, args.binary)
    try:
        report["idle_pool_rss_mib"] = round(stack.pool_rss() / 2**20, 1)
        report["streams"] = [dict(streams(stack, int(level), args.stream_seconds), workers=args.stream_workers,
                                  threads=args.stream_threads) for level in args.streams.split(",")]
    finally:
        stack.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
