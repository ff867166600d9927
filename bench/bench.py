#!/usr/bin/env python3
"""Benchmark GET /health through nginx for ragd and three baselines.

Backends (all behind a dedicated nginx on a loopback port, one at a time):
  ragd     the Swift FastCGI preforked pool (skipped if the binary is missing)
  c        bare libfcgi hello-world, same process model: the transport's floor
  php      php-fpm, pm=static, minimal health script
  fastapi  FastAPI under gunicorn with Uvicorn workers, nginx proxy_pass

Every knob comes from the environment (see README.md); stdlib only, so it runs
with the system python3. Results go to bench/results/<timestamp>/.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    value = int(raw)
    if value <= 0:
        raise SystemExit(f"bench: {name} must be a positive integer")
    return value


@dataclass
class Settings:
    workers: int = env_int("WORKERS", 2)
    threads: int = env_int("THREADS", 4)
    duration: int = env_int("DURATION", 10)
    warmup: int = env_int("WARMUP", 3)
    rounds: int = env_int("ROUNDS", 3)
    wrk_threads: int = env_int("WRK_THREADS", 2)
    wrk_connections: int = env_int("WRK_CONNECTIONS", 64)
    wrk_cpus: str = os.environ.get("WRK_CPUS", "")
    nginx_workers: int = env_int("NGINX_WORKERS", 1)
    backends: list[str] = field(
        default_factory=lambda: os.environ.get("BACKENDS", "ragd,c,php,fastapi").replace(" ", "").split(",")
    )
    ragd_bin: str = os.environ.get("RAGD_BIN", "/work/main/.build/release/ragd")
    ragd_base_bin: str = os.environ.get("RAGD_BASE_BIN", "")
    venv: str = os.environ.get("BENCH_VENV", "/opt/ragd-bench-venv")
    php_fpm: str = os.environ.get("PHP_FPM", "")
    php_children: int = 0  # resolved in main(): PHP_CHILDREN or WORKERS*THREADS
    results_root: str = os.environ.get("RESULTS_DIR", str(BENCH_DIR / "results"))
    start_timeout: float = float(os.environ.get("START_TIMEOUT", "60"))
    fastcgi_params: str = os.environ.get("FASTCGI_PARAMS", "shipped")


# MARK: process helpers


def children_of(pid: int) -> list[int]:
    """Direct children of pid, by scanning /proc (works without CONFIG_PROC_CHILDREN)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # Field 4 is the ppid; the command name (field 2) may contain spaces,
        # so split after its closing parenthesis.
        rest = stat[stat.rfind(")") + 2 :].split()
        if int(rest[1]) == pid:
            kids.append(int(entry))
    return sorted(kids)


def proc_kib(pid: int, path: str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib(pid: int) -> int:
    return proc_kib(pid, "status", "VmRSS")


def pss_kib(pid: int) -> int:
    # PSS splits pages shared after fork between the processes sharing them,
    # so a sum of PSS does not count the same copy-on-write page N times.
    return proc_kib(pid, "smaps_rollup", "Pss")


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """utime+stime of the given processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2 :].split()
        total += int(rest[11]) + int(rest[12])  # fields 14 and 15: utime, stime
    return total / CLK_TCK


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat.

    Busy counts steal too: time the hypervisor gave to someone else is lost to us.
    """
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    busy = user + nice + system + irq + softirq + steal
    return busy / CLK_TCK, (busy + idle + iowait) / CLK_TCK


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def tree(pid: int) -> list[int]:
    return [pid] + children_of(pid)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what: str, deadline: float, check) -> None:
    """Poll check() until it returns truthy or the deadline passes."""
    last_error = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # the thing we poll may not be up yet
            last_error = exc
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


def stop_process(proc: subprocess.Popen, sig: int, grace: float = 15.0) -> None:
    """Ask proc to stop with sig, then kill its process group (which we created) if it lingers."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the session started for it
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def run_text(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (out.stdout + out.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"


# MARK: the shipped nginx config

REPO_DIR = BENCH_DIR.parent
SHIPPED_FASTCGI = REPO_DIR / "nginx" / "templates" / "ragd" / "fastcgi.conf.template"
SHIPPED_HTTP = REPO_DIR / "nginx" / "templates" / "ragd.conf.template"


def shipped_fastcgi_params() -> str:
    """The fastcgi_param lines of the shipped nginx config (nginx/templates/ragd/fastcgi.conf.template).

    Its own `fastcgi_pass` line is left out (each backend passes to its own socket);
    everything else (REQUEST_URI, DOCUMENT_URI, QUERY_STRING, REQUEST_METHOD, HTTP_PROXY "",
    HTTP_X_REQUEST_ID = $ragd_request_id...) is what ragd gets in production. nginx adds
    the client's request headers as HTTP_* by itself (fastcgi_pass_request_headers on).
    """
    lines = []
    for line in SHIPPED_FASTCGI.read_text().splitlines():
        line = line.strip()
        if line.startswith("fastcgi_param "):
            lines.append(line)
    if not lines:
        raise SystemExit(f"bench: no fastcgi_param lines in {SHIPPED_FASTCGI}")
    return "\n            ".join(lines)


def shipped_request_id_map() -> str:
    """The http-level `map ... $ragd_request_id` of the shipped config, which the params use."""
    m = re.search(r"^map \$http_x_request_id \$ragd_request_id \{.*?^\}", SHIPPED_HTTP.read_text(), re.M | re.S)
    if not m:
        raise SystemExit(f"bench: no $ragd_request_id map in {SHIPPED_HTTP}")
    return m.group(0).replace("\n", "\n    ")


def fastcgi_params(s: "Settings") -> str:
    if s.fastcgi_params == "debian":
        return "include /etc/nginx/fastcgi_params;"
    return shipped_fastcgi_params()


# MARK: backends


class Backend:
    """One server under test: how to start it and how nginx reaches it."""

    name = ""
    label = ""

    def __init__(self, settings: Settings, tmp: Path):
        self.s = settings
        self.tmp = tmp
        self.sock = str(tmp / f"{self.name}.sock")

    def available(self) -> str | None:
        """None if it can run, else why it is skipped."""
        return None

    def prepare(self) -> None:
        pass

    def command(self) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def expected_workers(self) -> int:
        return self.s.workers

    def concurrency(self) -> str:
        return f"{self.s.workers}x{self.s.threads}"

    def listening(self) -> bool:
        """True once the backend accepts connections where nginx will connect."""
        return os.path.exists(self.sock)

    def upstream(self) -> str:
        """What follows `fastcgi_pass` / `proxy_pass http://`."""
        return f"unix:{self.sock}"

    def nginx_location(self) -> str:
        return f"{fastcgi_params(self.s)}\n            fastcgi_pass {self.upstream()};"

    def stop_signal(self) -> int:
        return signal.SIGTERM

    def versions(self) -> str:
        return ""


class Ragd(Backend):
    name = "ragd"
    label = "ragd (Swift, libfcgi)"
    metrics = True

    def binary(self) -> str:
        return self.s.ragd_bin

    def available(self):
        if not self.binary() or not os.access(self.binary(), os.X_OK):
            return (
                f"binary {self.binary() or '(unset)'} not found; build it with "
                "`swift build -c release --product ragd` or set RAGD_BIN (RAGD_BASE_BIN for ragd-base)"
            )
        return None

    def listen_address(self) -> str:
        return self.sock

    def command(self):
        env = {
            "FCGI_LISTEN": self.listen_address(),
            "FCGI_SOCKET_MODE": "0666",
            "WORKERS": str(self.s.workers),
            "THREADS": str(self.s.threads),
            "SECRET_KEY": "bench-secret-key-0123456789abcdef-not-for-production",
            "DATABASE_URL": "postgres://u:p@127.0.0.1:1/x",
            "REDIS_URL": "redis://127.0.0.1:1",
            # /health needs no backend; point Milvus at a closed port so a worker's boot
            # check fails fast instead of resolving the default host name "milvus".
            "MILVUS_HOST": "127.0.0.1",
            "MILVUS_PORT": "1",
            "MILVUS_MANAGEMENT_PORT": "1",
            "METRICS_ENABLED": "true" if self.metrics else "false",
            "ENVIRONMENT": "development",
            "ENV_FILE": "",  # empty: no dotenv file
        }
        return [self.binary(), "serve"], env

    def versions(self):
        commit = run_text(["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"])
        dirty = run_text(["git", "-C", str(REPO_DIR), "status", "--porcelain", "--", "Sources"])
        return f"ragd: {self.s.ragd_bin} (worktree {REPO_DIR} at {commit}{', Sources modified' if dirty else ''})"


class RagdBase(Ragd):
    """A second ragd binary (RAGD_BASE_BIN), e.g. the build before a change, in the same run."""

    name = "ragd-base"
    label = "ragd, RAGD_BASE_BIN"

    def binary(self) -> str:
        return self.s.ragd_base_bin

    def versions(self):
        return f"ragd-base: {self.s.ragd_base_bin}"


class RagdTCP(Ragd):
    """ragd with FCGI_LISTEN on loopback TCP instead of a unix socket; otherwise identical."""

    name = "ragd-tcp"
    label = "ragd, TCP 127.0.0.1"

    def prepare(self):
        self.port = free_port()

    def listen_address(self):
        return f"127.0.0.1:{self.port}"

    def upstream(self):
        return f"127.0.0.1:{self.port}"

    def listening(self):
        with socket.socket() as c:
            c.settimeout(1)
            return c.connect_ex(("127.0.0.1", self.port)) == 0


class RagdNoMetrics(Ragd):
    """The same ragd with METRICS_ENABLED=false: what per-request metrics recording costs."""

    name = "ragd-nometrics"
    label = "ragd, METRICS_ENABLED=false"
    metrics = False


class CHello(Backend):
    name = "c"
    label = "C libfcgi hello"

    def available(self):
        if shutil.which("cc") is None:
            return "no C compiler (apt-get install gcc)"
        if not Path("/usr/include/fcgiapp.h").exists():
            return "libfcgi headers missing (apt-get install libfcgi-dev)"
        return None

    def prepare(self):
        self.binary = str(self.tmp / "c-hello")
        cmd = ["cc", "-O2", "-Wall", "-o", self.binary, str(BENCH_DIR / "c-hello" / "hello.c"), "-lfcgi", "-lpthread"]
        subprocess.run(cmd, check=True)

    def command(self):
        return [self.binary], {"FCGI_LISTEN": self.sock, "WORKERS": str(self.s.workers), "THREADS": str(self.s.threads)}

    def versions(self):
        return "cc: " + run_text(["cc", "--version"]).splitlines()[0] + "; libfcgi: " + run_text(
            ["dpkg-query", "-W", "-f=${Version}", "libfcgi-bin"]
        )


class PhpFpm(Backend):
    name = "php"
    label = "php-fpm (static)"

    def binary(self) -> str | None:
        if self.s.php_fpm:
            return self.s.php_fpm
        found = sorted(Path("/usr/sbin").glob("php-fpm*"))
        return str(found[-1]) if found else shutil.which("php-fpm")

    def available(self):
        b = self.binary()
        if not b or not os.access(b, os.X_OK):
            return "php-fpm not found (apt-get install php-fpm, or set PHP_FPM)"
        return None

    def prepare(self):
        # nginx workers run as nobody: the script lives in the world-readable temp dir.
        self.script = self.tmp / "health.php"
        shutil.copy(BENCH_DIR / "php" / "health.php", self.script)
        self.script.chmod(0o644)
        self.conf = self.tmp / "php-fpm.conf"
        self.conf.write_text(
            f"""[global]
pid = {self.tmp}/php-fpm.pid
error_log = /proc/self/fd/2
log_level = warning
daemonize = no

[bench]
user = nobody
group = nogroup
listen = {self.sock}
listen.mode = 0666
listen.backlog = 1024
pm = static
pm.max_children = {self.s.php_children}
pm.max_requests = 0
catch_workers_output = yes
"""
        )

    def command(self):
        return [self.binary(), "--nodaemonize", "--fpm-config", str(self.conf)], {}

    def expected_workers(self):
        return self.s.php_children

    def concurrency(self):
        return f"{self.s.php_children}x1"

    def nginx_location(self):
        return (
            f"{fastcgi_params(self.s)}\n"
            f"            fastcgi_param SCRIPT_FILENAME {self.script};\n"
            f"            fastcgi_pass unix:{self.sock};"
        )

    def stop_signal(self):
        return signal.SIGQUIT  # graceful stop for php-fpm

    def versions(self):
        return run_text([self.binary(), "-v"]).splitlines()[0]


class FastAPI(Backend):
    name = "fastapi"
    label = "FastAPI (gunicorn+uvicorn)"

    def gunicorn(self) -> str:
        return str(Path(self.s.venv) / "bin" / "gunicorn")

    def available(self):
        if not os.access(self.gunicorn(), os.X_OK):
            return (
                f"{self.gunicorn()} missing; create the venv: python3 -m venv {self.s.venv} && "
                f"{self.s.venv}/bin/pip install -r bench/requirements.txt"
            )
        return None

    def command(self):
        cmd = [
            self.gunicorn(),
            "-w", str(self.s.workers),
            "-k", "uvicorn.workers.UvicornWorker",
            "-b", f"unix:{self.sock}",
            "--umask", "0",  # socket must be reachable by nginx's nobody workers
            "--chdir", str(BENCH_DIR / "fastapi"),
            "--log-level", "warning",
            "app:app",
        ]
        return cmd, {}

    def concurrency(self):
        return f"{self.s.workers}x async"

    def nginx_location(self):
        # HTTP/1.0 without upstream keepalive: one connection per request,
        # the same as FastCGI without fastcgi_keep_conn for the other backends.
        return f"proxy_pass http://unix:{self.sock}:;\n            proxy_set_header Host $host;"

    def versions(self):
        py = str(Path(self.s.venv) / "bin" / "python")
        code = (
            "import importlib.metadata as m, sys;"
            "print('python', sys.version.split()[0], *[p + ' ' + m.version(p) for p in "
            "('fastapi','starlette','uvicorn','gunicorn','uvloop','httptools')])"
        )
        return run_text([py, "-c", code])


BACKENDS = {cls.name: cls for cls in (Ragd, RagdBase, RagdTCP, RagdNoMetrics, CHello, PhpFpm, FastAPI)}


# MARK: nginx and wrk


def nginx_conf(s: Settings, tmp: Path, port: int, backend: Backend, error_log: Path) -> str:
    return f"""daemon off;
master_process on;
worker_processes {s.nginx_workers};
user nobody nogroup;
pid {tmp}/nginx.pid;
error_log {error_log} warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    # The shipped config's request id (the params pass it to the backend as HTTP_X_REQUEST_ID).
    {shipped_request_id_map()}
    # wrk keeps its connections open for the whole run; do not make it reconnect.
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/ngx_body;
    fastcgi_temp_path {tmp}/ngx_fastcgi;
    proxy_temp_path {tmp}/ngx_proxy;
    uwsgi_temp_path {tmp}/ngx_uwsgi;
    scgi_temp_path {tmp}/ngx_scgi;
    server {{
        listen 127.0.0.1:{port};
        location = /health {{
            {backend.nginx_location()}
        }}
    }}
}}
"""


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def nginx_in_front(s: Settings, tmp: Path, port: int, backend: Backend, name: str, deadline: float,
                   get) -> subprocess.Popen:
    """Start an nginx (nginx_conf) in front of a started backend and wait until `get` over a
    fresh connection to it succeeds; the caller stops the returned process."""
    conf = tmp / f"nginx-{name}.conf"
    conf.write_text(nginx_conf(s, tmp, port, backend, tmp / f"{name}.nginx.log"))
    nginx = subprocess.Popen(["nginx", "-p", str(tmp), "-e", str(tmp / f"{name}.nginx.log"), "-c", str(conf)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)

    def answers():
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            return get(probe)
        finally:
            probe.close()

    try:
        wait_until(f"{name} to answer", deadline, answers)
    except BaseException:
        stop_process(nginx, signal.SIGQUIT)
        raise
    return nginx


def to_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def parse_wrk(out: str) -> dict:
    res = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": 0, "non2xx": 0, "socket_errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            res[key] = to_ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["socket_errors"] = sum(int(x) for x in m.groups())
        res["socket_errors_detail"] = m.group(0)
    return res


def wrk_cmd(s: Settings, url: str, seconds: int) -> list[str]:
    cmd = ["wrk", f"-t{s.wrk_threads}", f"-c{s.wrk_connections}", f"-d{seconds}s", "--latency", url]
    if s.wrk_cpus:
        cmd = ["taskset", "-c", s.wrk_cpus] + cmd
    return cmd


def probe(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=2) as resp:
        if resp.status != 200:
            raise RuntimeError(f"status {resp.status}")
        body = json.loads(resp.read())
    if body.get("status") != "healthy" or "timestamp" not in body:
        raise RuntimeError(f"unexpected body {body!r}")
    return body


# MARK: one measurement


def measure(s: Settings, backend: Backend, round_no: int, tmp: Path, logs: Path) -> dict:
    tag = f"{backend.name}-r{round_no}"
    cmd, extra_env = backend.command()
    env = dict(os.environ)
    env.update(extra_env)
    if os.path.exists(backend.sock):
        os.unlink(backend.sock)
    server_log = open(logs / f"{tag}.server.log", "wb")
    server = subprocess.Popen(cmd, env=env, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)
    nginx = None
    try:
        deadline = time.monotonic() + s.start_timeout

        def pool_ready():
            if server.poll() is not None:
                raise SystemExit(f"bench: {backend.name} exited with {server.returncode}; see {server_log.name}")
            return len(children_of(server.pid)) >= backend.expected_workers() and backend.listening()

        wait_until(f"{backend.name} socket and workers", deadline, pool_ready)

        port = free_port()
        conf = tmp / f"nginx-{tag}.conf"
        conf.write_text(nginx_conf(s, tmp, port, backend, logs / f"{tag}.nginx.log"))
        nginx = subprocess.Popen(
            ["nginx", "-p", str(tmp), "-e", str(logs / f"{tag}.nginx.log"), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}/health"
        sample = {}

        def healthy():
            if nginx.poll() is not None:
                raise SystemExit(f"bench: nginx exited; see {logs / (tag + '.nginx.log')}")
            sample.update(probe(url))
            return True

        wait_until(f"{url} to answer 200", deadline, healthy)

        # Idle memory: after the pool is up and has answered, before any load.
        workers = children_of(server.pid)
        idle = {
            "master_rss_kib": rss_kib(server.pid),
            "workers": len(workers),
            "workers_rss_kib": sum(rss_kib(p) for p in workers),
            "workers_pss_kib": sum(pss_kib(p) for p in workers),
        }
        with open("/proc/loadavg") as f:
            load_before = f.read().split()[0]

        subprocess.run(wrk_cmd(s, url, s.warmup), capture_output=True, check=True)
        cmd_line = wrk_cmd(s, url, s.duration)
        # CPU time of the server side over the measured run: less sensitive to
        # other load on the machine than req/s, since it counts work, not speed.
        server_pids, nginx_pids = tree(server.pid), tree(nginx.pid)
        cpu0 = (cpu_seconds(server_pids), cpu_seconds(nginx_pids), children_cpu(), *machine_cpu())
        out = subprocess.run(cmd_line, capture_output=True, text=True, check=True).stdout
        cpu1 = (cpu_seconds(server_pids), cpu_seconds(nginx_pids), children_cpu(), *machine_cpu())
        d = [b - a for a, b in zip(cpu0, cpu1)]
        # Whatever the machine was busy with besides server, nginx and wrk
        # (other helpers' builds, steal): the noise this run suffered.
        other_pct = max(0.0, d[3] - d[0] - d[1] - d[2]) * 100 / d[4] if d[4] > 0 else None
        (logs / f"{tag}.wrk.txt").write_text(" ".join(cmd_line) + "\n" + out)
        result = parse_wrk(out)
        n = result["requests"] or None
        result["backend_cpu_us_per_req"] = (cpu1[0] - cpu0[0]) * 1e6 / n if n else None
        result["nginx_cpu_us_per_req"] = (cpu1[1] - cpu0[1]) * 1e6 / n if n else None
        result["wrk_cpu_us_per_req"] = d[2] * 1e6 / n if n else None
        result["other_cpu_pct"] = other_pct
        after = children_of(server.pid)
        result.update(idle)
        result.update(
            {
                "backend": backend.name,
                "round": round_no,
                "loadavg_before": float(load_before),
                "workers_rss_after_kib": sum(rss_kib(p) for p in after),
                "sample": sample,
            }
        )
        return result
    finally:
        if nginx is not None:
            stop_process(nginx, signal.SIGQUIT)
        stop_process(server, backend.stop_signal())
        server_log.close()


# MARK: report


def fmt(value, spec=".0f", none="n/a") -> str:
    return none if value is None else format(value, spec)


def ratio(a, b) -> str:
    if a is None or not b:
        return "n/a"
    return f"{a / b:.2f}x"


def summarize(results: list[dict]) -> dict:
    def med(key):
        vals = [r[key] for r in results if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    rps = [r["rps"] for r in results if r.get("rps") is not None]
    return {
        "rps": med("rps"),
        "rps_min": min(rps) if rps else None,
        "rps_max": max(rps) if rps else None,
        "p50_ms": med("p50_ms"),
        "p99_ms": med("p99_ms"),
        "backend_cpu_us_per_req": med("backend_cpu_us_per_req"),
        "nginx_cpu_us_per_req": med("nginx_cpu_us_per_req"),
        "wrk_cpu_us_per_req": med("wrk_cpu_us_per_req"),
        "other_cpu_pct": med("other_cpu_pct"),
        "non2xx": sum(r["non2xx"] for r in results),
        "socket_errors": sum(r["socket_errors"] for r in results),
        "requests": sum(r["requests"] for r in results),
        "workers": results[-1]["workers"],
        "workers_rss_kib": med("workers_rss_kib"),
        "workers_pss_kib": med("workers_pss_kib"),
        "master_rss_kib": med("master_rss_kib"),
        "workers_rss_after_kib": med("workers_rss_after_kib"),
        "rounds": len(results),
    }


def mib(kib) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f}"


def render(
    s: Settings, machine: dict, command: str, summary: dict, runs: dict, labels: dict, conc: dict, skipped: dict
) -> str:
    base_c = summary.get("c", {}).get("rps")
    base_py = summary.get("fastapi", {}).get("rps")
    lines = [
        f"# GET /health through nginx — {machine['date']}",
        "",
        f"Machine: {machine['nproc']} cores, {machine['cpu']}, kernel {machine['kernel']}, "
        f"load average at start {machine['loadavg']}.",
        f"Settings: WORKERS={s.workers} THREADS={s.threads}, {s.rounds} round(s) interleaved, "
        f"{s.warmup}s warm-up + {s.duration}s measured per backend per round, nginx worker_processes={s.nginx_workers}; "
        f"wrk runs on the same {machine['nproc']} cores as the server"
        + (f" (pinned: taskset -c {s.wrk_cpus})." if s.wrk_cpus else "."),
        "FastCGI params: "
        + ("the shipped config's (nginx/templates/ragd/fastcgi.conf.template, request id map included) for every FastCGI backend."
           if s.fastcgi_params == "shipped" else "Debian's /etc/nginx/fastcgi_params for every FastCGI backend."),
        "",
        f"Command: `{command}`",
        f"wrk: `{' '.join(wrk_cmd(s, 'http://127.0.0.1:PORT/health', s.duration))}`",
        "",
        "Throughput and latency (medians over rounds; errors summed):",
        "",
        "| backend | procs x threads | req/s | min–max | vs C | vs FastAPI | p50 ms | p99 ms | non-2xx/3xx | socket errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in summary.items():
        lines.append(
            f"| {labels[name]} | {conc[name]} | {fmt(r['rps'])} | {fmt(r['rps_min'])}–{fmt(r['rps_max'])} | "
            f"{ratio(r['rps'], base_c)} | {ratio(r['rps'], base_py)} | {fmt(r['p50_ms'], '.2f')} | "
            f"{fmt(r['p99_ms'], '.2f')} | {r['non2xx']} | {r['socket_errors']} |"
        )
    cpu_c = summary.get("c", {}).get("backend_cpu_us_per_req")
    cpu_py = summary.get("fastapi", {}).get("backend_cpu_us_per_req")
    lines += [
        "",
        "CPU time per request during the measured run (user+system, all threads; medians). "
        "Less sensitive to other load than req/s:",
        "",
        "| backend | backend µs/req | vs C | vs FastAPI | nginx µs/req | wrk µs/req |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in summary.items():
        lines.append(
            f"| {labels[name]} | {fmt(r['backend_cpu_us_per_req'], '.1f')} | "
            f"{ratio(r['backend_cpu_us_per_req'], cpu_c)} | {ratio(r['backend_cpu_us_per_req'], cpu_py)} | "
            f"{fmt(r['nginx_cpu_us_per_req'], '.1f')} | {fmt(r['wrk_cpu_us_per_req'], '.1f')} |"
        )
    base_c_mem = summary.get("c", {}).get("workers_rss_kib")
    base_py_mem = summary.get("fastapi", {}).get("workers_rss_kib")
    lines += [
        "",
        "Idle memory before load (MiB; workers only, master separate, nginx excluded):",
        "",
        "| backend | worker procs | RSS per worker | RSS all workers | PSS all workers | master RSS | workers RSS after load | all-workers RSS vs C | vs FastAPI |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in summary.items():
        per = r["workers_rss_kib"] / r["workers"] if r["workers"] and r["workers_rss_kib"] is not None else None
        lines.append(
            f"| {labels[name]} | {r['workers']} | {mib(per)} | {mib(r['workers_rss_kib'])} | "
            f"{mib(r['workers_pss_kib'])} | {mib(r['master_rss_kib'])} | {mib(r['workers_rss_after_kib'])} | "
            f"{ratio(r['workers_rss_kib'], base_c_mem)} | {ratio(r['workers_rss_kib'], base_py_mem)} |"
        )
    lines += [
        "",
        "Every run, in the order run. \"other CPU\" is the share of the machine's CPU time during the "
        "measured run used by anything but the backend, nginx and wrk (other processes, steal, and the "
        "kernel's softirq time for the loopback traffic, so it is never quite zero): high values mark a disturbed run.",
        "",
        "| round | backend | req/s | p50 ms | p99 ms | backend CPU µs/req | nginx CPU µs/req | wrk CPU µs/req | other CPU % |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    every = sorted((r for rs in runs.values() for r in rs), key=lambda r: r["seq"])
    for r in every:
        lines.append(
            f"| {r['round']} | {labels[r['backend']]} | {fmt(r['rps'])} | {fmt(r['p50_ms'], '.2f')} | "
            f"{fmt(r['p99_ms'], '.2f')} | {fmt(r['backend_cpu_us_per_req'], '.1f')} | "
            f"{fmt(r['nginx_cpu_us_per_req'], '.1f')} | {fmt(r['wrk_cpu_us_per_req'], '.1f')} | "
            f"{fmt(r['other_cpu_pct'], '.1f')} |"
        )
    if skipped:
        lines += ["", "Skipped:"] + [f"- {labels[n]}: {why}" for n, why in skipped.items()]
    lines += ["", "Versions:"] + [f"- {v}" for v in machine["versions"] if v]
    return "\n".join(lines) + "\n"


def machine_info() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "loadavg": load,
        "versions": [
            run_text(["nginx", "-v"]),
            run_text(["wrk", "-v"]).splitlines()[0],
        ],
    }


def main() -> int:
    s = Settings()
    s.php_children = env_int("PHP_CHILDREN", s.workers * s.threads)
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench: {tool} not found (apt-get install {tool})")
    unknown = [b for b in s.backends if b not in BACKENDS]
    if unknown:
        raise SystemExit(f"bench: unknown backend(s) {unknown}; choose from {list(BACKENDS)}")
    if s.fastcgi_params not in ("shipped", "debian"):
        raise SystemExit("bench: FASTCGI_PARAMS must be shipped or debian")

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = Path(s.results_root) / stamp
    n = 1
    while out_dir.exists():  # two runs started within the same second
        n += 1
        out_dir = Path(s.results_root) / f"{stamp}-{n}"
    logs = out_dir / "logs"
    logs.mkdir(parents=True)
    tmp = Path(tempfile.mkdtemp(prefix="ragd-bench-"))
    tmp.chmod(0o755)  # nginx workers (nobody) must reach the sockets and the PHP script

    command = " ".join(
        f"{k}={shlex.quote(os.environ[k])}"
        for k in ("WORKERS", "THREADS", "DURATION", "WARMUP", "ROUNDS", "WRK_THREADS", "WRK_CONNECTIONS",
                  "WRK_CPUS", "NGINX_WORKERS", "BACKENDS", "PHP_CHILDREN", "RAGD_BIN", "RAGD_BASE_BIN", "FASTCGI_PARAMS")
        if os.environ.get(k)
    )
    command = (command + " " if command else "") + "bench/run.sh"

    machine = machine_info()
    backends, skipped, labels, conc = [], {}, {}, {}
    for name in s.backends:
        b = BACKENDS[name](s, tmp)
        labels[name], conc[name] = b.label, b.concurrency()
        why = b.available()
        if why:
            skipped[name] = why
            print(f"bench: skipping {name}: {why}", file=sys.stderr)
            continue
        b.prepare()
        machine["versions"].append(b.versions())
        backends.append(b)
    if not backends:
        raise SystemExit("bench: nothing to run")

    per_backend: dict[str, list[dict]] = {b.name: [] for b in backends}
    try:
        for rnd in range(1, s.rounds + 1):
            # Rotate the order each round so no backend always runs first or
            # right after the same neighbour (thermal state, page cache, other load).
            k = (rnd - 1) % len(backends)
            for b in backends[k:] + backends[:k]:
                print(f"bench: round {rnd}/{s.rounds}: {b.name} ...", file=sys.stderr, flush=True)
                r = measure(s, b, rnd, tmp, logs)
                r["seq"] = sum(len(v) for v in per_backend.values())
                print(
                    f"bench:   {fmt(r['rps'])} req/s, p50 {fmt(r['p50_ms'], '.2f')} ms, p99 {fmt(r['p99_ms'], '.2f')} ms, "
                    f"non-2xx {r['non2xx']}, socket errors {r['socket_errors']}",
                    file=sys.stderr,
                    flush=True,
                )
                per_backend[b.name].append(r)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    summary = {name: summarize(rs) for name, rs in per_backend.items()}
    table = render(s, machine, command, summary, per_backend, labels, conc, skipped)
    (out_dir / "results.md").write_text(table)
    (out_dir / "results.json").write_text(
        json.dumps(
            {"machine": machine, "command": command, "settings": s.__dict__, "skipped": skipped,
             "summary": summary, "runs": per_backend},
            indent=2,
        )
    )
    latest = Path(s.results_root) / "latest.md"
    latest.write_text(table)
    print(table)
    print(f"bench: results in {out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
