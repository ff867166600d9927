#!/usr/bin/env python3
"""System calls per GET /health request of one worker, by `strace -c`: ragd vs the C hello.

Each backend runs as bench/callgrind.py runs it (one worker x one thread, behind
bench.py's nginx and the shipped FastCGI params, access log on), without valgrind. After
a warm-up, `strace -c` is attached to every thread of the worker while N requests are
sent over one keep-alive connection; its counts over N are the worker's system calls per
request (callgrind does not see the kernel). Run as root, like bench/run.sh.

    bench/syscalls.py [--requests N] [--warmup W] NAME=BINARY ... [c]
"""

import argparse
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
from callgrind import backend_for, get  # noqa: E402


def traced(pid: str | int, tid: str) -> bool:
    with open(f"/proc/{pid}/task/{tid}/status") as status:
        return any(line.startswith("TracerPid:") and line.split()[1] != "0" for line in status)


def measure(name, backend, settings, tmp, port, requests, warmup):
    """{syscall: calls per request} of the worker while it serves `requests`."""
    cmd, extra_env = backend.command()
    env = dict(os.environ)
    env.update(extra_env)
    log = open(tmp / f"{name}.server.log", "ab")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    nginx = strace = None
    try:
        deadline = time.monotonic() + 120
        bench.wait_until(f"{name} socket and worker", deadline,
                         lambda: len(bench.children_of(server.pid)) >= 1 and backend.listening())
        worker = bench.children_of(server.pid)[0]
        nginx = bench.nginx_in_front(settings, tmp, port, backend, name, deadline, get)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(warmup):
            get(conn)
        out = tmp / f"{name}.strace"
        tasks = sorted(os.listdir(f"/proc/{worker}/task"))
        strace = subprocess.Popen(["strace", "-c", "-f", "-o", str(out)] + [a for t in tasks for a in ("-p", t)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # strace attaches asynchronously: send nothing until every thread reports a tracer.
        bench.wait_until("strace to attach", time.monotonic() + 30,
                         lambda: all(traced(worker, t) for t in tasks))
        for _ in range(requests):
            get(conn)
        conn.close()
        strace.send_signal(signal.SIGINT)
        strace.wait(timeout=30)
        counts = {}
        for line in out.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
                counts[fields[-1]] = int(fields[3])
        return {k: v / requests for k, v in counts.items()}
    finally:
        if strace and strace.poll() is None:
            strace.kill()
        if nginx:
            bench.stop_process(nginx, signal.SIGQUIT)
        bench.stop_process(server, backend.stop_signal(), grace=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("backends", nargs="+", help="NAME=RAGD_BINARY, or c for bench/c-hello")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--port", type=int, default=18932, help="nginx's loopback port")
    args = parser.parse_args()
    settings = bench.Settings()
    settings.workers, settings.threads, settings.nginx_workers = 1, 1, 1
    tmp = Path(tempfile.mkdtemp(prefix="ragd-syscalls-"))
    tmp.chmod(0o755)
    try:
        results = {}
        for spec in args.backends:
            name, backend = backend_for(spec, settings, tmp, "syscalls")
            results[name] = measure(name, backend, settings, tmp, args.port, args.requests, args.warmup)
        names = sorted({k for r in results.values() for k in r}, key=lambda k: -max(r.get(k, 0) for r in results.values()))
        print("| syscall | " + " | ".join(results) + " |\n|---|" + "---:|" * len(results))
        for k in names:
            print(f"| {k} | " + " | ".join(f"{r.get(k, 0):.2f}" for r in results.values()) + " |")
        print("| **total** | " + " | ".join(f"**{sum(r.values()):.2f}**" for r in results.values()) + " |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
