#!/usr/bin/env python3
"""Keyword-leg (BM25) search latency at 100,000 chunks, and the ingest rate that fills it.

    scripts/stack.sh up --release
    bench/keyword_latency.py [--chunks 100000] [--paragraphs 40] [--clients 4] [--queries 300] [--tenant NAME]

The corpus is real prose, recombined: sentences of the Python 3.11 manual (Debian
`python3.11-doc`) and of the Debian Reference in Chinese (`debian-reference-zh-cn`),
installed on this machine, shuffled deterministically into ~750-character paragraphs (one
chunk each with the default CHUNK_SIZE), 85 % English and 15 % Chinese. So posting lists
have the lengths real text gives them (common words in tens of thousands of chunks),
which a vocabulary of random words would not.

The queries are the dev-set questions (bench/eval/questions-*.jsonl, English and
Chinese), asked with `mode: keyword`, `top_k` 10, one client, in a loop until --queries.
Reported: the keyword leg's own time as ragd measures it (`timings.keyword`: the SQL
round trip), and the client-side latency through nginx and TLS, p50/p95/p99/max. With
`--mode hybrid` the search runs every leg, and the document rankings by title and whole
text (`timings.documents`, one SQL statement) are reported as well.

Reusing --tenant skips ingestion of what is already there (identical content answers
200 duplicate), so a second run measures search only.
"""
import argparse
import concurrent.futures
import html
import json
import random
import re
import statistics
import time
from pathlib import Path

from rag import REPO, call, mint_token, percentile

PYTHON_DOCS = Path("/usr/share/doc/python3.11/html")
DEBIAN_REFERENCE = Path("/usr/share/debian-reference")


def visible_text(page):
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return html.unescape(page)


def sentences(paths, pattern):
    pool = []
    for path in paths:
        text = visible_text(path.read_text(encoding="utf-8", errors="replace"))
        for piece in re.split(pattern, text):
            piece = " ".join(piece.split())
            if 20 <= len(piece) <= 400:
                pool.append(piece)
    return pool


def corpus(chunks, paragraphs, seed=7):
    english = sentences(sorted(PYTHON_DOCS.rglob("*.html")), r"(?<=[.!?])\s+")
    chinese = sentences(sorted(DEBIAN_REFERENCE.glob("*.zh-cn.html")), r"(?<=[。！？])")
    rng = random.Random(seed)
    documents = []
    for d in range((chunks + paragraphs - 1) // paragraphs):
        pool = chinese if d % 7 == 0 else english
        limit = 300 if pool is chinese else 750
        body = []
        for _ in range(paragraphs):
            paragraph = ""
            while len(paragraph) < limit:
                paragraph += rng.choice(pool) + " "
            body.append(paragraph.strip())
        documents.append(json.dumps({"title": f"Keyword bench {d}", "text": "\n\n".join(body)}))
    return documents


def questions():
    found = []
    for name in ("questions-en.jsonl", "questions-zh.jsonl"):
        path = REPO / "bench/eval" / name
        if path.exists():
            found += [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]
    return found or ["how do I read a file line by line", "配置网络接口", "regular expression groups"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--paragraphs", type=int, default=40)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--tenant", default="bench-keyword-100k")
    parser.add_argument("--skip-ingest", action="store_true", help="search what the tenant already holds")
    parser.add_argument("--mode", choices=["keyword", "hybrid"], default="keyword",
                        help="hybrid: all legs, reporting the document rankings' time too")
    args = parser.parse_args()

    token = mint_token(args.tenant)
    documents = [] if args.skip_ingest else corpus(args.chunks, args.paragraphs)
    print(f"## Corpus: {len(documents)} documents x {args.paragraphs} paragraphs, tenant {args.tenant}")
    started = time.perf_counter()
    created = duplicates = failures = chunks = 0

    def ingest(document):
        for _ in range(5):
            status, data, _ = call("POST", "/v1/documents", token, document.encode())
            if status not in (429, 502, 503, 504):
                return status, data
            time.sleep(1)
        return status, data

    with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
        for status, data in pool.map(ingest, documents):
            if status == 201:
                created += 1
                chunks += json.loads(data)["chunks"]
            elif status == 200:
                duplicates += 1
            else:
                failures += 1
    elapsed = time.perf_counter() - started
    print(f"* ingest: {created} new documents ({chunks} chunks) in {elapsed:.1f} s"
          + (f" = {chunks / elapsed:.0f} chunks/s" if created else "")
          + f"; {duplicates} already there; {failures} failed")

    asked = questions()
    server, documents_stage, client, slowest = [], [], [], []
    for i in range(args.queries):
        query = asked[i % len(asked)]
        status, data, seconds = call("POST", "/v1/search", token,
                                     json.dumps({"query": query, "top_k": 10, "mode": args.mode}).encode())
        if status != 200:
            failures += 1
            continue
        client.append(seconds * 1000)
        timings = json.loads(data)["timings"]
        server.append(timings["keyword"])
        if args.mode == "hybrid":
            documents_stage.append(timings["documents"])
        slowest.append((server[-1], query))
    print(f"## {args.mode.capitalize()} search, 1 client, {len(client)} queries ({len(asked)} distinct dev-set questions), top_k 10")
    reported = [("keyword leg (ragd's timings.keyword)", server)]
    if documents_stage:
        reported.append(("title and section rankings (timings.documents)", documents_stage))
    reported.append(("client side through nginx/TLS", client))
    for label, values in reported:
        print(f"* {label}: p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, "
              f"p99 {percentile(values, 0.99):.1f} ms, max {max(values):.1f} ms")
    for ms, query in sorted(slowest, reverse=True)[:5]:
        print(f"  * slowest: {ms:.1f} ms  {query[:70]}")
    if failures:
        print(f"* {failures} failed requests")


if __name__ == "__main__":
    main()
