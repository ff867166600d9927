#!/usr/bin/env python3
"""Instructions per GET /health request, by callgrind: ragd (and other binaries) vs the C hello.

Each backend runs with one worker and one thread under
`valgrind --tool=callgrind` (which follows the fork into the worker), behind an nginx
made by bench.py's `nginx_conf` (the shipped FastCGI params, request id map included).
Each backend is started twice: W (warm-up) requests, then W + N requests, over one
keep-alive connection, after which the worker is sent TERM and callgrind writes its counts
(`callgrind_control` cannot reach a forked child). The difference between the two runs
over N is the user-space instructions per request of the whole worker process (serving
thread and heartbeat thread); start-up and exit cancel out. The count does not depend on the machine's
load, so it compares builds where wall-clock and CPU-time runs on a shared machine are
noisy; it does not count the kernel (syscalls, the loopback traffic).

Usage (as root, like bench/run.sh; nginx workers drop to nobody):

    bench/callgrind.py [--requests N] [--port P] [--keep DIR] NAME=BINARY ... [c]

`NAME=BINARY` is a ragd binary under a name of your choosing; `c` is bench/c-hello.
valgrind 3.19 (Debian 12) gives up on the DWARF 5 of a Swift release build: pass a copy
without debug info (`strip -g -o ragd.nodebug .build/release/ragd`); the symbol table,
which callgrind_annotate needs, stays.
The access log of each ragd run is on (LOG_LEVEL=info), as in bench/run.sh, and goes to
the run's server log. `--keep DIR` keeps the callgrind dumps (callgrind_annotate them).
"""

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402


def totals(path: Path) -> int:
    """The Ir total of one callgrind dump."""
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("totals:") or line.startswith("summary:"):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def get(conn: http.client.HTTPConnection) -> bytes:
    conn.request("GET", "/health")
    response = conn.getresponse()
    body = response.read()
    if response.status != 200 or b'"status":"healthy"' not in body:
        raise RuntimeError(f"unexpected answer {response.status} {body[:200]!r}")
    return body


def run_once(name: str, backend: bench.Backend, settings: bench.Settings, tmp: Path, port: int,
             requests: int, keep: Path | None) -> int:
    """Instructions of one worker from its start to its exit, having served `requests` (+1 probe)."""
    cmd, extra_env = backend.command()
    env = dict(os.environ)
    env.update(extra_env)
    # valgrind makes everything ~50x slower: give supervision room (it is not measured here).
    env.setdefault("WORKER_TIMEOUT", "300")
    out_dir = Path(tempfile.mkdtemp(prefix=f"cg-{name}-", dir=tmp))
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_dir}/cg.%p", "--dump-instr=no"]
    log = open(tmp / f"{name}.server.log", "ab")
    server = subprocess.Popen(valgrind + cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    nginx = None
    try:
        deadline = time.monotonic() + 300

        def ready():
            if server.poll() is not None:
                raise SystemExit(f"callgrind: {name} exited with {server.returncode}; see {log.name}")
            return len(bench.children_of(server.pid)) >= 1 and backend.listening()

        bench.wait_until(f"{name} socket and worker", deadline, ready)
        worker = bench.children_of(server.pid)[0]
        nginx = bench.nginx_in_front(settings, tmp, port, backend, name, deadline, get)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(requests):
            get(conn)
        conn.close()
        # callgrind writes a process's counts when it exits (callgrind_control cannot reach
        # a forked child), so end the worker: TERM, as the master does on a stop.
        os.kill(worker, bench.signal.SIGTERM)
        dump = out_dir / f"cg.{worker}"
        bench.wait_until(f"{name} worker's dump", time.monotonic() + 120,
                         lambda: not Path(f"/proc/{worker}").exists() and dump.exists())
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(dump, keep / f"{name}-{requests}.callgrind")
        return totals(dump)
    finally:
        if nginx:
            bench.stop_process(nginx, bench.signal.SIGQUIT)
        bench.stop_process(server, backend.stop_signal(), grace=60)
        log.close()


def measure(name: str, backend: bench.Backend, settings: bench.Settings, tmp: Path, port: int,
            requests: int, warmup: int, keep: Path | None) -> float:
    """(instructions after warmup + requests) - (after warmup), over requests: start-up and exit cancel out."""
    short = run_once(name, backend, settings, tmp, port, warmup, keep)
    long = run_once(name, backend, settings, tmp, port, warmup + requests, keep)
    return (long - short) / requests


def backend_for(spec: str, settings: bench.Settings, tmp: Path, tool: str) -> tuple[str, bench.Backend]:
    """(name, backend) for a command-line spec: `c` (bench/c-hello) or NAME=RAGD_BINARY."""
    if spec == "c":
        backend = bench.CHello(settings, tmp)
        backend.prepare()
        return "c", backend
    name, _, binary = spec.partition("=")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or not binary:
        raise SystemExit(f"{tool}: {spec!r} is not NAME=BINARY or c")
    settings.ragd_bin = binary
    backend = bench.Ragd(settings, tmp)
    backend.sock = str(tmp / f"{name}.sock")
    return name, backend


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("backends", nargs="+", help="NAME=RAGD_BINARY, or c for bench/c-hello")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--port", type=int, default=18931, help="nginx's loopback port")
    parser.add_argument("--keep", type=Path, help="directory to copy the callgrind dumps to")
    args = parser.parse_args()
    settings = bench.Settings()
    settings.workers, settings.threads, settings.nginx_workers = 1, 1, 1
    tmp = Path(tempfile.mkdtemp(prefix="ragd-callgrind-"))
    tmp.chmod(0o755)
    try:
        results = []
        for spec in args.backends:
            name, backend = backend_for(spec, settings, tmp, "callgrind")
            per_request = measure(name, backend, settings, tmp, args.port, args.requests, args.warmup, args.keep)
            results.append((name, per_request))
            print(f"{name}: {per_request:,.0f} instructions/request ({args.requests} requests)", flush=True)
        c = dict(results).get("c")
        print("\n| backend | instructions/request | vs C |\n|---|---:|---:|")
        for name, value in results:
            print(f"| {name} | {value:,.0f} | {value / c:.2f}x |" if c else f"| {name} | {value:,.0f} | |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
