#!/usr/bin/env python3
"""Bulk ingest of a real manual: how long until every page is searchable.

    scripts/stack.sh up --release      # with RATE_LIMIT_PER_MINUTE=100000000 in $STACK/ragd.env.local
    bench/bulk.py [--modes sync,async,cli,cli-async] [--dir /usr/share/doc/python3.11/html]

Loads every `*.html` file under --dir (Debian's python3.11-doc: the Python 3.11 manual)
into a fresh tenant per mode, through nginx over HTTPS, and reports pages/s, chunks/s and
the time until the last page is searchable (a synchronous upload answers once its
document is ready, i.e. searchable by both legs; a job succeeds at the same moment):

* `sync`: one client, one `POST /v1/documents` (`text/html` body) after another;
* `async`: batch uploads (`?async=true`, up to 64 `files` parts or 40 MB a request), then
  `GET /v1/jobs?ids=` until every job is done;
* `cli`: `ragd ingest DIR --glob '*.html'` (default --concurrency 4, synchronous);
* `cli-async`: the same with `--async` (`--cli-async-concurrency`, default 64, jobs in flight).

The stack is found through RAGD_STACK_DIR (default .stack) and RAGD_STACK_HTTPS_PORT
(default 8443); tokens are minted with `ragd token` (RAGD_BIN, default .build/release/ragd).
Also prints the load average and the CPU the rest of the machine used during each mode.
"""
import argparse
import http.client
import json
import os
import ssl
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STACK = Path(os.environ.get("RAGD_STACK_DIR", REPO / ".stack"))
PORT = int(os.environ.get("RAGD_STACK_HTTPS_PORT", "8443"))
BINARY = os.environ.get("RAGD_BIN", str(REPO / ".build/release/ragd"))


def tls():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Client:
    def __init__(self, token):
        self.token = token
        self.conn = None

    def call(self, method, path, body=None, content_type=None, timeout=300):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection("127.0.0.1", PORT, context=tls(), timeout=timeout)
            headers = {"Authorization": "Bearer " + self.token}
            if content_type:
                headers["Content-Type"] = content_type
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                return response.status, data
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise


def mint_token(tenant):
    env = {"PATH": os.environ["PATH"], "ENV_FILE": str(STACK / "ragd.env")}
    return subprocess.run([BINARY, "token", "--tenant", tenant, "--scope", "documents:read documents:write query",
                           "--ttl", "7200"], env=env, capture_output=True, text=True, check=True).stdout.strip()


def cpu_times():
    """(total jiffies, idle jiffies) of the machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]


def multipart(files):
    boundary = "bulk" + uuid.uuid4().hex
    parts = []
    for path in files:
        parts.append((f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{path.name}\"\r\n"
                      f"Content-Type: text/html\r\n\r\n").encode() + path.read_bytes() + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), "multipart/form-data; boundary=" + boundary


def run_sync(client, files):
    chunks, failures = 0, []
    for path in files:
        query = urllib.parse.urlencode({"source": str(path)})
        status, data = client.call("POST", "/v1/documents?" + query, path.read_bytes(), "text/html; charset=utf-8")
        if status in (200, 201):
            chunks += json.loads(data)["chunks"]
        else:
            failures.append((path.name, status, data[:200]))
    return chunks, failures


def run_async(client, files):
    jobs, failures, batch, size = [], [], [], 0

    def send():
        body, content_type = multipart(batch)
        status, data = client.call("POST", "/v1/documents?async=true", body, content_type)
        if status != 202:
            raise SystemExit(f"batch upload answered {status}: {data[:300]!r}")
        jobs.extend(job["id"] for job in json.loads(data)["data"])

    for path in files:
        if batch and (len(batch) == 64 or size + path.stat().st_size > 40_000_000):
            send()
            batch, size = [], 0
        batch.append(path)
        size += path.stat().st_size
    if batch:
        send()
    chunks, waiting = 0, list(jobs)
    while waiting:
        still = []
        for start in range(0, len(waiting), 100):
            ids = waiting[start:start + 100]
            status, data = client.call("GET", "/v1/jobs?ids=" + ",".join(ids))
            for job in json.loads(data)["data"]:
                if job["state"] == "succeeded":
                    chunks += job["progress"]["chunks_total"] if not job.get("duplicate") else 0
                elif job["state"] == "failed":
                    failures.append((job["title"], job["error"]))
                else:
                    still.append(job["id"])
        waiting = still
        if waiting:
            time.sleep(0.2)
    return chunks, failures


def run_cli(token, directory, extra):
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run([BINARY, "ingest", str(directory), "--glob", "*.html", "--url", f"https://127.0.0.1:{PORT}",
                                 "--insecure", "--state", scratch + "/state.jsonl"] + extra,
                                env={"PATH": os.environ["PATH"], "RAGD_TOKEN": token}, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"ragd ingest exited {result.returncode}: {result.stdout[-2000:]}{result.stderr[-2000:]}")
        chunks = sum(json.loads(line).get("chunks", 0) for line in Path(scratch, "state.jsonl").read_text().splitlines() if line.strip())
        return chunks, []


def stored(client):
    """(documents, chunks) ready in the tenant, from the API."""
    documents = chunks = 0
    cursor = None
    while True:
        path = "/v1/documents?limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        status, data = client.call("GET", path)
        page = json.loads(data)
        documents += len(page["data"])
        chunks += sum(d["chunks"] for d in page["data"])
        cursor = page.get("next_cursor")
        if not cursor:
            return documents, chunks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="/usr/share/doc/python3.11/html")
    parser.add_argument("--modes", default="sync,async,cli,cli-async")
    parser.add_argument("--cli-concurrency", type=int, default=4)
    parser.add_argument("--cli-async-concurrency", type=int, default=64)
    parser.add_argument("--label", default="", help="a name for this binary in the output")
    args = parser.parse_args()
    directory = Path(args.dir)
    files = sorted(directory.rglob("*.html"))
    total_bytes = sum(f.stat().st_size for f in files)
    print(f"# {len(files)} pages, {total_bytes / 1e6:.1f} MB of HTML under {directory} {args.label}")
    print()
    print("| mode | pages | chunks | seconds | pages/s | chunks/s | load avg (1 min, after) | other CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for mode in args.modes.split(","):
        tenant = f"bulk-{mode}-{int(time.time())}"
        token = mint_token(tenant)
        client = Client(token)
        total0, idle0 = cpu_times()
        started = time.perf_counter()
        if mode == "sync":
            chunks, failures = run_sync(client, files)
        elif mode == "async":
            chunks, failures = run_async(client, files)
        elif mode == "cli":
            chunks, failures = run_cli(token, directory, ["--concurrency", str(args.cli_concurrency)])
        elif mode == "cli-async":
            chunks, failures = run_cli(token, directory, ["--async", "--concurrency", str(args.cli_async_concurrency)])
        else:
            raise SystemExit("unknown mode " + mode)
        elapsed = time.perf_counter() - started
        total1, idle1 = cpu_times()
        busy = 1 - (idle1 - idle0) / max(1, total1 - total0)
        documents, stored_chunks = stored(client)
        load = os.getloadavg()[0]
        print(f"| {mode} {args.label} | {documents} | {stored_chunks} | {elapsed:.1f} | {documents / elapsed:.1f} | "
              f"{stored_chunks / elapsed:.0f} | {load:.1f} | machine {100 * busy:.0f} % busy |", flush=True)
        if failures or documents != len(files):
            print(f"  ({len(failures)} failures, {documents} of {len(files)} stored; reported chunks {chunks}): {failures[:5]}")


if __name__ == "__main__":
    main()
