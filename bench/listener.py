#!/usr/bin/env python3
"""What nginx answers when ragd's accept queue is full: unix socket vs loopback TCP.

ragd runs with one worker and one thread (WORKERS=1 THREADS=1), a tiny listen backlog
(BACKLOG, default 4) and the test route GET /_test/sleep?seconds=S that holds the only
serving thread for S seconds. CONCURRENCY requests (default 50) are fired at once
through nginx (shipped FastCGI params and the shipped fastcgi_connect_timeout of 5 s).
The first is served, up to about BACKLOG more wait in the kernel's accept queue, and
the rest find the queue full:

* unix socket: connect() fails at once with EAGAIN, nginx logs "(11: Resource
  temporarily unavailable)" and answers 502 immediately;
* TCP (net.ipv4.tcp_abort_on_overflow=0): the handshake completes on nginx's side but
  the kernel drops the final ACK while the queue is full, so nginx believes it is
  connected, sends the request and waits; the server side retransmits its SYN-ACK with
  backoff (1, 2, 4, 8, 16, 32 s) and the connection enters the queue at one of those
  retries, or never (tcp_synack_retries), in which case nginx waits for
  fastcgi_read_timeout and answers 504.

Every response's status and time is recorded; the table counts them. Settings from the
environment: RAGD_BIN, BACKLOGS (comma-separated, default "4"), CONCURRENCY (50),
SLEEP (1), CONNECT_TIMEOUT (nginx fastcgi_connect_timeout, default "5s"), READ_TIMEOUT
(nginx fastcgi_read_timeout in seconds, default 60: more than CONCURRENCY*SLEEP, so a
request that reached ragd's queue can finish; the shipped 300 s would only wait longer), LISTENERS
("unix,tcp"). Results go to bench/results/listener-<timestamp>.md (and .json).
Run as root (nginx workers drop to nobody). Only loopback addresses are used; every
request is bounded by a client timeout.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the harness's helpers: nginx config, params, process control)

RAGD_BIN = os.environ.get("RAGD_BIN", "/work/main/.build/release/ragd")
BACKLOGS = [int(x) for x in os.environ.get("BACKLOGS", "4").split(",") if x]
CONCURRENCY = int(os.environ.get("CONCURRENCY", "50"))
SLEEP = float(os.environ.get("SLEEP", "1"))
CONNECT_TIMEOUT = os.environ.get("CONNECT_TIMEOUT", "5s")
LISTENERS = os.environ.get("LISTENERS", "unix,tcp").split(",")
READ_TIMEOUT = int(os.environ.get("READ_TIMEOUT", "60"))  # nginx fastcgi_read_timeout, seconds
CLIENT_TIMEOUT = READ_TIMEOUT + 30  # every request ends by itself; nginx answers first
IMMEDIATE = 0.1  # seconds: an answer faster than this was not queued anywhere


def nginx_conf(tmp: Path, port: int, upstream: str, error_log: Path) -> str:
    return f"""daemon off;
master_process on;
worker_processes 1;
user nobody nogroup;
pid {tmp}/nginx.pid;
error_log {error_log} info;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    {bench.shipped_request_id_map()}
    client_body_temp_path {tmp}/ngx_body;
    fastcgi_temp_path {tmp}/ngx_fastcgi;
    proxy_temp_path {tmp}/ngx_proxy;
    uwsgi_temp_path {tmp}/ngx_uwsgi;
    scgi_temp_path {tmp}/ngx_scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            {bench.shipped_fastcgi_params()}
            fastcgi_connect_timeout {CONNECT_TIMEOUT};
            fastcgi_read_timeout {READ_TIMEOUT}s;
            fastcgi_pass {upstream};
        }}
    }}
}}
"""


def fire(port: int) -> list[dict]:
    """CONCURRENCY requests released at the same moment; status and seconds of each."""
    results: list[dict] = [{} for _ in range(CONCURRENCY)]
    go = threading.Barrier(CONCURRENCY)

    def one(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
        try:
            conn.connect()  # connect first so the barrier releases requests, not handshakes
            go.wait()
            start = time.monotonic()
            conn.request("GET", f"/_test/sleep?seconds={SLEEP:g}")
            resp = conn.getresponse()
            resp.read()
            results[i] = {"status": resp.status, "seconds": time.monotonic() - start}
        except Exception as exc:  # a client timeout or reset is a result too
            results[i] = {"status": None, "error": type(exc).__name__, "seconds": None}
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def run_case(listener: str, backlog: int, tmp: Path, logs: Path) -> dict:
    tag = f"{listener}-backlog{backlog}"
    if listener == "unix":
        address = str(tmp / f"{tag}.sock")
        upstream = f"unix:{address}"
    else:
        port = bench.free_port()
        address = f"127.0.0.1:{port}"
        upstream = address
    env = dict(os.environ)
    env.update({
        "FCGI_LISTEN": address, "FCGI_SOCKET_MODE": "0666", "WORKERS": "1", "THREADS": "1",
        "BACKLOG": str(backlog), "ENABLE_TEST_ROUTES": "true", "ENVIRONMENT": "development",
        "SECRET_KEY": "bench-secret-key-0123456789abcdef-not-for-production",
        "DATABASE_URL": "postgres://u:p@127.0.0.1:1/x", "REDIS_URL": "redis://127.0.0.1:1", "ENV_FILE": "",
        "LOG_LEVEL": "warning",
    })
    server_log = open(logs / f"{tag}.server.log", "wb")
    server = subprocess.Popen([RAGD_BIN, "serve"], env=env, stdout=server_log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    nginx = None
    try:
        deadline = time.monotonic() + 60

        def listening() -> bool:
            if server.poll() is not None:
                raise SystemExit(f"listener: ragd exited with {server.returncode}; see {server_log.name}")
            if len(bench.children_of(server.pid)) < 1:
                return False
            if listener == "unix":
                return os.path.exists(address)
            import socket
            with socket.socket() as c:
                return c.connect_ex(("127.0.0.1", int(address.rsplit(":", 1)[1]))) == 0

        bench.wait_until("ragd to listen", deadline, listening)
        port = bench.free_port()
        conf = tmp / f"nginx-{tag}.conf"
        nginx_log = logs / f"{tag}.nginx.log"
        conf.write_text(nginx_conf(tmp, port, upstream, nginx_log))
        nginx = subprocess.Popen(["nginx", "-p", str(tmp), "-e", str(nginx_log), "-c", str(conf)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)

        def health() -> bool:
            return bench.probe(f"http://127.0.0.1:{port}/health") is not None

        bench.wait_until("nginx -> ragd /health", deadline, health)
        started = time.monotonic()
        results = fire(port)
        wall = time.monotonic() - started
        log_text = nginx_log.read_text(errors="replace")
        return summarize(listener, backlog, results, wall, log_text)
    finally:
        if nginx is not None:
            bench.stop_process(nginx, signal.SIGQUIT)
        bench.stop_process(server, signal.SIGTERM)
        server_log.close()


def summarize(listener: str, backlog: int, results: list[dict], wall: float, nginx_log: str) -> dict:
    def times(pred):
        return [r["seconds"] for r in results if r.get("seconds") is not None and pred(r)]

    ok = times(lambda r: r["status"] == 200)
    s502 = times(lambda r: r["status"] == 502)
    s504 = times(lambda r: r["status"] == 504)
    return {
        "listener": listener,
        "backlog": backlog,
        "requests": len(results),
        "ok": len(ok),
        "ok_seconds": [round(x, 3) for x in sorted(ok)],
        "502": len(s502),
        "502_immediate": sum(1 for x in s502 if x < IMMEDIATE),
        "502_max_seconds": max(s502) if s502 else None,
        "504": len(s504),
        "504_min_seconds": min(s504) if s504 else None,
        "other_status": sum(1 for r in results if r.get("status") not in (200, 502, 504, None)),
        "client_errors": sum(1 for r in results if r.get("status") is None),
        "wall_seconds": wall,
        "nginx_eagain": nginx_log.count("Resource temporarily unavailable"),
        "nginx_connect_timeouts": nginx_log.count("upstream timed out (110: Connection timed out) while connecting"),
        "nginx_read_timeouts": nginx_log.count("timed out (110: Connection timed out) while reading response header"),
        "nginx_refused": nginx_log.count("Connection refused"),
        "client_error_kinds": sorted({r["error"] for r in results if r.get("error")}),
    }


def fmt_s(x) -> str:
    return "–" if x is None else f"{x:.2f}"


def render(rows: list[dict], machine: dict) -> str:
    lines = [
        f"# Full accept queue: unix socket vs loopback TCP — {machine['date']}",
        "",
        f"Machine: {machine['nproc']} cores, {machine['cpu']}, kernel {machine['kernel']}; "
        f"net.core.somaxconn={read_sysctl('net/core/somaxconn')}, "
        f"net.ipv4.tcp_abort_on_overflow={read_sysctl('net/ipv4/tcp_abort_on_overflow')}, "
        f"net.ipv4.tcp_syn_retries={read_sysctl('net/ipv4/tcp_syn_retries')}.",
        f"ragd: WORKERS=1 THREADS=1 BACKLOG=<backlog>, {CONCURRENCY} concurrent `GET /_test/sleep?seconds={SLEEP:g}` "
        f"through nginx (1 worker, shipped FastCGI params, fastcgi_connect_timeout {CONNECT_TIMEOUT}, "
        f"fastcgi_read_timeout {READ_TIMEOUT}s; the shipped config has 300s).",
        f"Command: `BACKLOGS={','.join(map(str, BACKLOGS))} CONCURRENCY={CONCURRENCY} SLEEP={SLEEP:g} "
        f"CONNECT_TIMEOUT={CONNECT_TIMEOUT} READ_TIMEOUT={READ_TIMEOUT} bench/listener.py`",
        "",
        "| listener | backlog | 200 | slowest 200 s | 502 | of which < 0.1 s | 504 | first 504 s | other | client errors | all done after s | nginx: EAGAIN | nginx: connect timed out | nginx: read timed out |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['listener']} | {r['backlog']} | {r['ok']} | {fmt_s(max(r['ok_seconds']) if r['ok_seconds'] else None)} | "
            f"{r['502']} | {r['502_immediate']} | {r['504']} | {fmt_s(r['504_min_seconds'])} | {r['other_status']} | "
            f"{r['client_errors']} | {r['wall_seconds']:.1f} | {r['nginx_eagain']} | {r['nginx_connect_timeouts']} | "
            f"{r['nginx_read_timeouts']} |"
        )
    lines += ["", "Seconds to each 200, sorted:", ""]
    for r in rows:
        lines.append(f"- {r['listener']}, backlog {r['backlog']}: {', '.join(f'{x:.2f}' for x in r['ok_seconds'])}")
    return "\n".join(lines) + "\n"


def read_sysctl(path: str) -> str:
    try:
        return Path("/proc/sys", path).read_text().strip()
    except OSError:
        return "?"


def main() -> int:
    if not os.access(RAGD_BIN, os.X_OK):
        raise SystemExit(f"listener: {RAGD_BIN} not found; build with `swift build -c release --product ragd` or set RAGD_BIN")
    machine = bench.machine_info()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    root = Path(os.environ.get("RESULTS_DIR", str(bench.BENCH_DIR / "results")))
    logs = root / f"listener-{stamp}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ragd-listener-"))
    tmp.chmod(0o755)
    rows = []
    try:
        for backlog in BACKLOGS:
            for listener in LISTENERS:
                print(f"listener: {listener}, backlog {backlog} ...", file=sys.stderr, flush=True)
                row = run_case(listener, backlog, tmp, logs)
                print(f"listener:   200: {row['ok']}, 502: {row['502']} ({row['502_immediate']} immediate), "
                      f"504: {row['504']}, client errors: {row['client_errors']}", file=sys.stderr, flush=True)
                rows.append(row)
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    table = render(rows, machine)
    (root / f"listener-{stamp}.md").write_text(table)
    (root / f"listener-{stamp}.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2))
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
