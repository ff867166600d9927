#!/usr/bin/env python3
"""Ingest throughput and search latency through nginx, over a corpus of >= 10,000 chunks.

    scripts/stack.sh up --release          # PostgreSQL, Redis, Milvus, ragd (release) and nginx
    bench/rag.py [--documents 400] [--paragraphs 30] [--clients 4] [--queries 200]

Uses the running local stack (https://127.0.0.1:8443, self-signed) and its settings in
.stack/ragd.env: a token is minted with `ragd token` for a fresh tenant, a synthetic
corpus is generated deterministically (every paragraph ~600 characters, so one chunk
each with the default CHUNK_SIZE), ingested by --clients concurrent clients, then
--queries searches run at 1 and at 8 concurrent clients. The embedder is whatever the
stack runs (the local hashing embedder by default). ragd reports where each request's
time went (`timings` in every response: PostgreSQL, embedder, Milvus stages), which
splits the time between ragd, PostgreSQL, Milvus and the embedder.
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import random
import ssl
import statistics
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORDS = ("retrieval augmented generation vector index postgres milvus embedding chunk tenant query answer "
         "latency throughput worker thread socket nginx fastcgi request response cache redis limit token "
         "document passage citation model prompt stream event metric histogram counter gauge scrape pool "
         "reload signal graceful timeout backlog queue kernel memory process fork heartbeat scoreboard").split()


def tls():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def call(method, path, token, body=None, content_type="application/json"):
    conn = http.client.HTTPSConnection("127.0.0.1", int(os.environ.get("RAGD_STACK_HTTPS_PORT", "8443")),
                                       context=tls(), timeout=120)
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = content_type
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, data, elapsed


def paragraph(rng, index):
    words = [rng.choice(WORDS) for _ in range(80)]
    return f"Section {index}: " + " ".join(words) + "."


def mint_token(tenant):
    """A two-hour token for `tenant`, signed with the local stack's SECRET_KEY."""
    env = dict(os.environ)
    # The stack's settings: scripts/stack.sh's RAGD_STACK_DIR, as for the HTTPS port.
    for line in (Path(os.environ.get("RAGD_STACK_DIR", REPO / ".stack")) / "ragd.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value.strip().strip("'\"")
    binary = os.environ.get("RAGD_BIN", str(REPO / ".build/release/ragd"))
    return subprocess.run([binary, "token", "--tenant", tenant, "--scope", "documents:read documents:write query",
                           "--ttl", "7200"], env=dict(env, ENV_FILE=""), capture_output=True, text=True,
                          check=True).stdout.strip()


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=400)
    parser.add_argument("--paragraphs", type=int, default=30)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    token = mint_token(f"bench{int(time.time())}")

    rng = random.Random(42)
    documents = []
    for d in range(args.documents):
        text = "\n\n".join(paragraph(rng, p) for p in range(args.paragraphs))
        documents.append(json.dumps({"title": f"Bench document {d}", "text": f"Document {d}.\n\n" + text}))
    total_bytes = sum(len(doc.encode()) for doc in documents)

    stage_totals = {}
    chunks = 0
    failures = 0
    started = time.perf_counter()

    def ingest(doc):
        return call("POST", "/v1/documents", token, doc.encode())

    with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
        for status, data, _ in pool.map(ingest, documents):
            if status != 201:
                failures += 1
                continue
            answer = json.loads(data)
            chunks += answer["chunks"]
            for stage, ms in answer.get("timings", {}).items():
                stage_totals[stage] = stage_totals.get(stage, 0) + ms
    elapsed = time.perf_counter() - started
    print(f"## Ingest ({args.documents} documents, {chunks} chunks, {total_bytes / 1e6:.1f} MB, {args.clients} clients)")
    print()
    print(f"* {chunks / elapsed:.0f} chunks/s, {total_bytes / 1e6 / elapsed:.2f} MB/s, {args.documents / elapsed:.1f} documents/s "
          f"({elapsed:.1f} s, {failures} failures)")
    request_ms = elapsed * 1000 * args.clients
    print("* where a request's time went (sum over requests, share of client-side time):")
    for stage, ms in stage_totals.items():
        print(f"  * {stage}: {ms / 1000:.1f} s ({100 * ms / request_ms:.0f} %)")
    print(f"  * rest (ragd's own work, nginx, TLS, the client): {100 * (1 - sum(stage_totals.values()) / request_ms):.0f} %")

    queries = [" ".join(rng.choice(WORDS) for _ in range(4)) for _ in range(args.queries)]
    for concurrency in ((1, 8) if queries else ()):
        latencies, stages = [], {}

        def search(query):
            return call("POST", "/v1/search", token, json.dumps({"query": query, "top_k": 10}).encode())

        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            for status, data, seconds in pool.map(search, queries):
                if status != 200:
                    failures += 1
                    continue
                latencies.append(seconds * 1000)
                for stage, ms in json.loads(data).get("timings", {}).items():
                    stages.setdefault(stage, []).append(ms)
        print()
        print(f"## Search, {concurrency} concurrent client(s), {len(latencies)} queries, top_k 10, hybrid")
        print()
        print(f"* latency p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms (client side, through nginx/TLS)")
        print("* server stages, median ms: " + ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in stages.items()))


if __name__ == "__main__":
    main()
