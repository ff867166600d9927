#!/usr/bin/env python3
"""Start Milvus standalone on pinned ports, for scripts/stack.sh.

  milvus-serve.py --data DIR --port 19530 --health-port 9091

Run it with the Python of the venv that has PyPI's `milvus` package (milvus-server):
this uses that package's binary and configuration template, and then replaces itself
with `milvus run standalone` (exec), so its pid is Milvus's own and SIGINT or SIGTERM
stops Milvus gracefully.

Why not milvus-server itself: it does not pin any port. `--proxy-port 19530` only sets
where its search starts; it probes each port with a plain bind() (no SO_REUSEADDR) and,
when that fails, silently takes the next one (19531, ...), and the health/management
port (9091) is searched the same way. After heavy traffic the old server-side sockets
of the port linger in TIME_WAIT for 60 s and fail that probe, although Milvus itself
(Go, whose listeners set SO_REUSEADDR) could bind the port: so a restart moved Milvus
to 19531/9092 while everything else waited on 19530/9091.

Here:
  * the proxy port (--port) and the health port (--health-port) are pinned: probed the
    way Go listens (SO_REUSEADDR, all addresses), so TIME_WAIT does not count and only
    a live listener does; then this exits at once with status 3, naming the port and,
    when `ss` can tell, the process listening on it;
  * the internal ports (root coordinator, query node, ...) are searched from
    milvus-server's defaults as before, with the same probe, never taking the
    default or pinned proxy and health ports;
  * the embedded etcd listens on 2379/2380 unless --etcd-port is given (by default it
    moves with --port: 2379 + (port - 19530)), so a second Milvus on other ports can run
    beside the first; at 2379/2380 no etcd configuration is written (as before);
  * each Milvus gets its own pid file: `milvus run` takes an exclusive lock on
    /run/milvus/standalone.pid (MILVUS_RUN_DIR is not read; /run/milvus is hard-coded)
    and waits, silently, for as long as another Milvus on the host holds it, so a
    second stack's Milvus hung until the first one stopped. `-alias port<P>` names the
    file standalone-port<P>.pid, and instances on other ports no longer wait on each other;
  * a stop (SIGINT or SIGTERM) takes at most --stop-timeout seconds (10): Milvus's graceful
    stop waits for its query node to hand its segments to another one, which a
    standalone Milvus does not have, for up to common.gracefulStopTimeout (1800 s), then
    quits anyway. (milvus-server killed Milvus 1 s after SIGTERM.) What was inserted is
    kept either way (Milvus recovers it from its write-ahead log on start).
"""
import argparse
import os
import socket
import subprocess
import sys

from milvus import MilvusServerConfig, _initialize_data_files

DEFAULT_PROXY_PORT = 19530
DEFAULT_HEALTH_PORT = 9091
DEFAULT_ETCD_PORT = 2379


def fail(message, status=3):
    print(f"milvus-serve: {message}", file=sys.stderr, flush=True)
    sys.exit(status)


def listen_like_go(port):
    """A listening socket on every address of `port` with SO_REUSEADDR, as Go's net.Listen
    makes it (what Milvus will do), or None when the port is taken by a live socket."""
    for family, address in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 on this host
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind((address, port))
            sock.listen()
            return sock
        except OSError:
            sock.close()
            return None
    return None


def holder(port):
    """Who listens on `port`, as `ss` shows it (empty when it cannot tell)."""
    try:
        out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return " ".join(out.split())


def busy(port, role):
    who = holder(port)
    fail(f"port {port} ({role}) is in use by a listening socket{': ' + who if who else ''}; "
         f"stop that process or choose other ports (RAGD_MILVUS_PORT, RAGD_MILVUS_HEALTH_PORT)")


class PinnedConfig(MilvusServerConfig):
    """milvus-server's configuration with Go's bind semantics and reserved ports."""

    def __init__(self, reserved, **kwargs):
        self.reserved = set(reserved)
        super().__init__(**kwargs)

    def try_bind_port(self, port):
        return listen_like_go(port)

    def resolve_port(self, port_start):
        taken = {data[0] for data in self.listen_ports.values() if len(data) == 2}
        for port in range(port_start, min(port_start + 10000, 65536)):
            if port in taken or port in self.reserved:
                continue
            sock = self.try_bind_port(port)
            if sock:
                return port, sock
        return None, None


def write_etcd_config(path, client_port, peer_port):
    # The embedded etcd's own configuration (etcd's YAML), read by Milvus from
    # etcd.config.path; without one it listens on localhost:2379/2380.
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""# written by scripts/lib/milvus-serve.py
name: default
listen-client-urls: http://localhost:{client_port}
advertise-client-urls: http://localhost:{client_port}
listen-peer-urls: http://localhost:{peer_port}
initial-advertise-peer-urls: http://localhost:{peer_port}
initial-cluster: default=http://localhost:{peer_port}
""")


def add_etcd_config_path(config_file, etcd_config):
    """Adds `config: path:` to the `etcd:` section of the written milvus.yaml."""
    with open(config_file, encoding="utf-8") as f:
        lines = f.read().split("\n")
    index = lines.index("etcd:")
    lines[index + 1:index + 1] = ["  config:", f"    path: {etcd_config}"]
    with open(config_file, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def port_number(text):
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port")
    return port


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="Milvus's base directory (binaries, configs, logs, data)")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PROXY_PORT, help="proxy port: gRPC and REST")
    parser.add_argument("--health-port", type=port_number, default=DEFAULT_HEALTH_PORT,
                        help="health/metrics/management HTTP port (METRICS_PORT)")
    parser.add_argument("--stop-timeout", type=int, default=10,
                        help="seconds a graceful stop may take before Milvus quits (common.gracefulStopTimeout)")
    parser.add_argument("--etcd-port", type=port_number, default=None,
                        help="embedded etcd client port (peer port: this + 1); default 2379 + (port - 19530)")
    args = parser.parse_args()

    etcd_port = args.etcd_port if args.etcd_port is not None else DEFAULT_ETCD_PORT + args.port - DEFAULT_PROXY_PORT
    ports = {"proxy": args.port, "health": args.health_port, "etcd": etcd_port, "etcd peer": etcd_port + 1}
    if not all(1 <= p <= 65535 for p in ports.values()) or len(set(ports.values())) != len(ports):
        fail(f"the ports must be distinct and valid: {ports}", status=2)

    data = os.path.abspath(args.data)
    # A pinned port in `configs` must bind, or resolve() raises; every other port is
    # searched from its default (the reserved ones skipped).
    # (etcd_port is the etcd address in milvus.yaml; the embedded etcd listens there.)
    config = PinnedConfig(reserved={DEFAULT_PROXY_PORT, DEFAULT_HEALTH_PORT, *ports.values()},
                          data_dir=data, proxy_port=args.port, etcd_port=etcd_port)
    config.set("common.gracefulStopTimeout", args.stop_timeout)
    for role, port in ports.items():
        sock = listen_like_go(port)
        if sock is None:
            busy(port, role)
        sock.close()
    try:
        config.resolve()  # probes and closes the ports, writes configs/milvus.yaml
    except RuntimeError as error:
        for port, role in ((args.port, "proxy"), (etcd_port, "etcd")):
            if f"={port}, but bind failed" in str(error):
                busy(port, role)
        raise
    if (config.get("proxy_port"), config.get("etcd_port")) != (args.port, etcd_port):
        fail(f"milvus.yaml would put the proxy on {config.get('proxy_port')} and etcd on {config.get('etcd_port')}, "
             f"not {args.port} and {etcd_port}")
    if etcd_port != DEFAULT_ETCD_PORT:
        etcd_config = os.path.join(data, "configs", "embedEtcd.yaml")
        write_etcd_config(etcd_config, etcd_port, etcd_port + 1)
        add_etcd_config_path(os.path.join(data, "configs", "milvus.yaml"), etcd_config)
    _initialize_data_files(data)

    internal = {key: config.get(key) for key in config.configurable_items if key.endswith("_port")}
    print(f"milvus-serve: proxy {args.port}, health {args.health_port}, etcd {etcd_port}/{etcd_port + 1}, "
          f"internal {internal}", flush=True)

    binary = os.path.join(data, "bin", "milvus")
    env = dict(os.environ)
    env.update({
        "DEPLOY_MODE": "STANDALONE",
        "METRICS_PORT": str(args.health_port),
        "LD_LIBRARY_PATH": ":".join(filter(None, [os.path.dirname(binary), os.environ.get("LD_LIBRARY_PATH")])),
    })
    os.chdir(data)
    # Milvus's own output to the files milvus-server uses (truncated on each start).
    for fd, name in ((1, "milvus-stdout.log"), (2, "milvus-stderr.log")):
        log = os.open(os.path.join(data, "logs", name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, fd)
        os.close(log)
    os.execve(binary, [binary, "run", "standalone", "-alias", f"port{args.port}"], env)


if __name__ == "__main__":
    main()
