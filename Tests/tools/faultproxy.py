#!/usr/bin/env python3
"""A fault-injecting HTTP/1.1 proxy in front of a real server (Milvus in the tests).

faultproxy.py --upstream HOST:PORT [--port P]

Prints "LISTENING <port> CONTROL <port>" once both sockets are bound. Requests pass
through unchanged to the real upstream; the control port takes one JSON command per
connection (a line) and answers one JSON line:

  {"cmd": "stop"}                  refuse everything from now on: close connections
                                   (as if the upstream had died)
  {"cmd": "start"}                 pass requests again
  {"cmd": "stop_after", "path": "/v1/vector/insert", "count": N}
                                   pass N more requests to that path, then stop
  {"cmd": "stats"}                 {"requests": {path: count}, "stopped": bool}

It stands in for "the network to Milvus went away" without disturbing the real Milvus
that other tests use at the same time. It never answers on the upstream's behalf.
"""
import argparse
import json
import socket
import threading


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.stopped = False
        self.stop_after = None  # (path, remaining)
        self.requests = {}
        self.connections = set()

    def admit(self, path):
        with self.lock:
            if self.stopped:
                return False
            self.requests[path] = self.requests.get(path, 0) + 1
            if self.stop_after and self.stop_after[0] == path:
                remaining = self.stop_after[1]
                if remaining <= 0:
                    self.stopped = True
                    return False
                self.stop_after = (path, remaining - 1)
            return True

    def stop(self):
        with self.lock:
            self.stopped = True
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def read_request(reader):
    """One HTTP/1.1 request (head and Content-Length body) as raw bytes, or None at EOF."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = reader.recv(1)
        if not chunk:
            return None, None
        head += chunk
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    length = 0
    for header in head.split(b"\r\n")[1:]:
        if header.lower().startswith(b"content-length:"):
            length = int(header.split(b":", 1)[1].strip())
    body = b""
    while len(body) < length:
        chunk = reader.recv(length - len(body))
        if not chunk:
            return None, None
        body += chunk
    path = line.split(" ")[1].split("?")[0] if " " in line else "/"
    return path, head + body


def read_response(upstream):
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = upstream.recv(1)
        if not chunk:
            return None
        head += chunk
    length = None
    chunked = False
    for header in head.split(b"\r\n")[1:]:
        lower = header.lower()
        if lower.startswith(b"content-length:"):
            length = int(header.split(b":", 1)[1].strip())
        if lower.startswith(b"transfer-encoding:") and b"chunked" in lower:
            chunked = True
    body = b""
    if chunked:
        while True:
            size_line = b""
            while not size_line.endswith(b"\r\n"):
                size_line += upstream.recv(1)
            body += size_line
            size = int(size_line.strip().split(b";")[0], 16)
            data = b""
            while len(data) < size + 2:
                data += upstream.recv(size + 2 - len(data))
            body += data
            if size == 0:
                break
    elif length is not None:
        while len(body) < length:
            chunk = upstream.recv(length - len(body))
            if not chunk:
                break
            body += chunk
    return head + body


def serve_client(client, upstream_address, state):
    with state.lock:
        state.connections.add(client)
    upstream = None
    try:
        while True:
            path, raw = read_request(client)
            if raw is None or not state.admit(path):
                return
            if upstream is None:
                upstream = socket.create_connection(upstream_address, timeout=60)
            upstream.sendall(raw)
            response = read_response(upstream)
            if response is None:
                return
            with state.lock:
                if state.stopped:
                    return
            client.sendall(response)
    except OSError:
        pass
    finally:
        with state.lock:
            state.connections.discard(client)
        client.close()
        if upstream is not None:
            upstream.close()


def control(server, state):
    while True:
        conn, _ = server.accept()
        with conn:
            line = conn.makefile("r").readline()
            try:
                command = json.loads(line)
                name = command.get("cmd")
                if name == "stop":
                    state.stop()
                elif name == "start":
                    with state.lock:
                        state.stopped = False
                        state.stop_after = None
                elif name == "stop_after":
                    with state.lock:
                        state.stop_after = (command["path"], int(command["count"]))
                with state.lock:
                    answer = {"ok": True, "requests": dict(state.requests), "stopped": state.stopped}
            except Exception as error:  # noqa: BLE001 - answered to the test
                answer = {"ok": False, "error": repr(error)}
            conn.sendall((json.dumps(answer) + "\n").encode())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    upstream_address = (host, int(port))
    state = State()

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(64)
    control_socket = socket.socket()
    control_socket.bind(("127.0.0.1", 0))
    control_socket.listen(8)
    print(f"LISTENING {listener.getsockname()[1]} CONTROL {control_socket.getsockname()[1]}", flush=True)
    threading.Thread(target=control, args=(control_socket, state), daemon=True).start()
    while True:
        client, _ = listener.accept()
        with state.lock:
            refuse = state.stopped
        if refuse:
            client.close()
            continue
        threading.Thread(target=serve_client, args=(client, upstream_address, state), daemon=True).start()


if __name__ == "__main__":
    main()
