#!/usr/bin/env python3
"""Server-side time of a /metrics scrape with a large pool and hundreds of series.

    RAGD_BIN=.build/release/ragd bench/scrape.py [--workers 16] [--scrapes 200]

Starts `ragd serve` with WORKERS workers x 1 thread on a unix socket (no nginx: the
scrape's cost is ragd's), sends requests over FastCGI to many (method, route, status)
combinations until the exposition has a few hundred series, then scrapes /metrics
repeatedly and reports the server-side duration of each scrape from ragd's own access
log (`duration_ms` of route /metrics), the number of series (sample lines) and the size.
"""
import argparse
import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def fcgi_request(sock_path, method, uri):
    def record(kind, content):
        pad = (8 - len(content) % 8) % 8
        return struct.pack(">BBHHBB", 1, kind, 1, len(content), pad, 0) + content + b"\0" * pad

    def pair(name, value):
        def length(x):
            return bytes([len(x)]) if len(x) < 128 else struct.pack(">I", len(x) | 0x80000000)
        return length(name) + length(value) + name + value

    params = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "QUERY_STRING": "", "CONTENT_LENGTH": "0"}
    body = b"".join(pair(k.encode(), v.encode()) for k, v in params.items())
    message = record(1, struct.pack(">HB5x", 1, 0)) + record(4, body) + record(4, b"") + record(5, b"")
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock_path)
        s.sendall(message)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    out, i = b"", 0
    while i + 8 <= len(data):
        _, kind, _, length, padding, _ = struct.unpack(">BBHHBB", data[i:i + 8])
        if kind == 6:
            out += data[i + 8:i + 8 + length]
        i += 8 + length + padding
    head, _, body = out.partition(b"\r\n\r\n")
    return head.decode(), body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--scrapes", type=int, default=200)
    args = parser.parse_args()
    binary = os.environ.get("RAGD_BIN", str(REPO / ".build/release/ragd"))
    work = Path(tempfile.mkdtemp(prefix="ragd-scrape-"))
    sock = str(work / "ragd.sock")
    env = dict(os.environ, FCGI_LISTEN=sock, WORKERS=str(args.workers), THREADS="1", ENV_FILE="",
               SECRET_KEY="bench-secret-key-0123456789abcdef-not-for-production",
               DATABASE_URL="postgres://u:p@127.0.0.1:1/x", REDIS_URL="redis://127.0.0.1:1",
               MILVUS_HOST="127.0.0.1", MILVUS_PORT="1", MILVUS_MANAGEMENT_PORT="1", ENVIRONMENT="development")
    log = open(work / "ragd.log", "w")
    server = subprocess.Popen([binary, "serve"], env=env, stderr=log, stdout=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if fcgi_request(sock, "GET", "/health")[0].startswith("Status: 200"):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit("ragd did not start; see " + str(work / "ragd.log"))
            time.sleep(0.05)
        # Wait until every worker has booted, so each scrape sums all 16 slots.
        while time.monotonic() < deadline:
            status = json.loads(fcgi_request(sock, "GET", "/status")[1])
            if status["workers"]["idle"] + status["workers"]["busy"] >= args.workers:
                break
            time.sleep(0.1)
        routes = ["/health", "/health/ready", "/status", "/v1/documents", "/v1/documents/x", "/v1/documents/x/chunks",
                  "/v1/search", "/nope", "/metrics"]
        methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "BREW"]
        for _ in range(3):
            for route in routes:
                for method in methods:
                    if route == "/health/ready" and method in ("GET", "HEAD"):
                        continue  # would wait on the unreachable backends
                    fcgi_request(sock, method, route)
        sizes, series = [], 0
        for _ in range(args.scrapes):
            head, body = fcgi_request(sock, "GET", "/metrics")
            sizes.append(len(body))
            series = sum(1 for line in body.decode().splitlines() if line and not line.startswith("#"))
        time.sleep(0.3)
        durations = []
        for line in (work / "ragd.log").read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "request" and entry.get("route") == "/metrics" and entry.get("method") == "GET":
                durations.append(entry["duration_ms"])
        durations = durations[-args.scrapes:]
        durations.sort()
        print(f"workers: {args.workers} x 1 thread; scrapes: {len(durations)}; series (sample lines): {series}; "
              f"exposition: {statistics.median(sizes) / 1024:.1f} KiB")
        print(f"server-side scrape time: p50 {statistics.median(durations):.2f} ms, "
              f"p99 {durations[int(len(durations) * 0.99) - 1]:.2f} ms, max {durations[-1]:.2f} ms")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
