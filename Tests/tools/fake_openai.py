#!/usr/bin/env python3
"""A small OpenAI-compatible API server for ragd's tests (standard library only).

    fake_openai.py [--host 127.0.0.1] [--port 0] [--dimension 384] [--api-key KEY]
                   [--max-batch 2048] [--verbose]

With --port 0 it picks a free port. Its first line on stdout is always `LISTENING <port>`.

API endpoints (each also without the /v1 prefix):
  POST /v1/embeddings   {"model": M, "input": "text" | ["text", ...]}
      -> {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...]}],
          "model": M, "usage": {"prompt_tokens": n, "total_tokens": n}}
      Vectors are deterministic and L2-normalized: the sum of one pseudo-random direction
      per lower-cased word (per character for CJK), so texts sharing words are closer,
      like a crude lexical model. An empty string, a missing input or more than
      --max-batch inputs answer 400, as OpenAI does.

Authentication: with --api-key, API endpoints require `Authorization: Bearer KEY`
(401 with an OpenAI-style error otherwise). Control endpoints never do.

Control endpoints (for tests to script failures):
  POST /_control  JSON object, fields merged into the current script:
      fail_next: N          the next N API requests fail with...
      status: S             ...this status (default 500)
      retry_after: SECONDS  ...and this Retry-After header (default none)
      hang_next: N          the next N API requests hang for hang_ms before answering
      hang_ms: MS           (default 60000; a client timeout is expected first)
      delay_ms: MS          every API request waits this long first (default 0)
      wrong_dimension_next: N   the next N embeddings answers have dimension + 1
      shuffle_next: N       the next N embeddings answers list data in reverse order
                            (with correct `index` fields)
      bad_json_next: N      the next N API requests answer 200 with a body that is not JSON
      reset: true           clear the script and the request log first
    -> the whole script as JSON.
  GET  /_control   the current script.
  GET  /_requests  {"requests": [{"method", "path", "headers", "authorization", "body",
                   "status", "time"}, ...]}: every API request in arrival order. `headers`
                   leaves out Authorization; `authorization` is "missing", "valid" or
                   "invalid" (or "present" without --api-key). `body` is the parsed JSON
                   (or the text if it is not JSON). `status` is what was answered.
  DELETE /_requests  clear the log.
  GET  /health     {"status": "ok"}

Extending: register another API endpoint with @api_route("POST", "/v1/chat/completions",
"/chat/completions"); the handler gets (handler, request_json) and answers with
handler.send_json(...) (or writes a stream itself). Scripted failures, delays,
authentication and the request log apply to every API route.
"""
import argparse
import hashlib
import json
import math
import re
import signal
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_ROUTES = {}
CONTROL_ROUTES = {}


def api_route(method, *paths):
    """Registers an API endpoint (authenticated, logged, subject to the failure script)."""
    def register(function):
        for path in paths:
            API_ROUTES[(method, path)] = function
        return function
    return register


def control_route(method, path):
    def register(function):
        CONTROL_ROUTES[(method, path)] = function
        return function
    return register


class Script:
    """Scripted behaviour, shared by all handler threads."""
    COUNTERS = ("fail_next", "hang_next", "wrong_dimension_next", "shuffle_next", "bad_json_next")

    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}
        self.reset()

    def reset(self):
        with self.lock:
            self.values = {"fail_next": 0, "status": 500, "retry_after": None, "hang_next": 0,
                           "hang_ms": 60000, "delay_ms": 0, "wrong_dimension_next": 0,
                           "shuffle_next": 0, "bad_json_next": 0}

    def update(self, changes):
        with self.lock:
            for key, value in changes.items():
                if key == "reset":
                    continue
                if key not in self.values:
                    raise ValueError("unknown control field: %s" % key)
                self.values[key] = value
            return dict(self.values)

    def snapshot(self):
        with self.lock:
            return dict(self.values)

    def take(self, counter):
        """Consumes one unit of `counter` if any is left; True if it did."""
        with self.lock:
            if self.values.get(counter, 0) > 0:
                self.values[counter] -= 1
                return True
            return False


class RequestLog:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []

    def add(self, entry):
        with self.lock:
            self.entries.append(entry)

    def all(self):
        with self.lock:
            return list(self.entries)

    def clear(self):
        with self.lock:
            self.entries = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as libcurl expects
    server_version = "fake-openai/1"

    # Set by main() on the class.
    options = None
    script = None
    log = None
    stopping = None

    def log_message(self, fmt, *args):
        if self.options.verbose:
            sys.stderr.write("fake_openai: " + (fmt % args) + "\n")

    # -- plumbing ---------------------------------------------------------

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_json(self, status, value, headers=None):
        self.send_bytes(status, json.dumps(value).encode(), "application/json", headers)

    def send_bytes(self, status, body, content_type, headers=None):
        self.status_sent = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send_error_json(self, status, message, kind="invalid_request_error", code=None, headers=None):
        self.send_json(status, {"error": {"message": message, "type": kind, "param": None, "code": code}}, headers)

    def dispatch(self, method):
        path = self.path.split("?", 1)[0]
        raw = self.read_body()
        control = CONTROL_ROUTES.get((method, path))
        if control is not None:
            control(self, raw)
            return
        api = API_ROUTES.get((method, path))
        if api is None:
            self.send_error_json(404, "no route for %s %s" % (method, path), code="not_found")
            return
        self.serve_api(api, method, path, raw)

    def serve_api(self, api, method, path, raw):
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        entry = {
            "method": method,
            "path": path,
            "headers": {k: v for k, v in self.headers.items() if k.lower() != "authorization"},
            "authorization": self.authorization_state(),
            "body": body if body is not None or not raw else raw.decode("utf-8", "replace"),
            "status": None,
            "time": time.time(),
        }
        self.log.add(entry)
        self.status_sent = None
        try:
            self.answer_api(api, entry, body, raw)
        finally:
            entry["status"] = self.status_sent

    def answer_api(self, api, entry, body, raw):
        if self.options.api_key and entry["authorization"] != "valid":
            self.send_error_json(401, "Incorrect API key provided.", code="invalid_api_key")
            return
        values = self.script.snapshot()
        if values["delay_ms"]:
            self.stopping.wait(values["delay_ms"] / 1000.0)
        if self.script.take("hang_next"):
            # Waits, then answers normally if the client is still there.
            self.stopping.wait(self.script.snapshot()["hang_ms"] / 1000.0)
        if self.script.take("fail_next"):
            values = self.script.snapshot()
            status = int(values["status"])
            headers = {}
            if values["retry_after"] is not None:
                headers["Retry-After"] = str(values["retry_after"])
            kind = "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid_request_error"
            self.send_error_json(status, "scripted failure (%d)" % status, kind=kind, headers=headers)
            return
        if self.script.take("bad_json_next"):
            self.send_bytes(200, b"<html>not json</html>", "text/html")
            return
        if raw and body is None:
            self.send_error_json(400, "request body is not valid JSON")
            return
        api(self, body if body is not None else {})

    def authorization_state(self):
        value = self.headers.get("Authorization")
        if value is None:
            return "missing"
        if not self.options.api_key:
            return "present"
        return "valid" if value == "Bearer " + self.options.api_key else "invalid"


# -- control endpoints ----------------------------------------------------

@control_route("POST", "/_control")
def control_post(handler, raw):
    try:
        changes = json.loads(raw or b"{}")
        if not isinstance(changes, dict):
            raise ValueError("control body must be a JSON object")
        if changes.get("reset"):
            handler.script.reset()
            handler.log.clear()
        handler.send_json(200, handler.script.update(changes))
    except ValueError as error:
        handler.send_error_json(400, str(error))


@control_route("GET", "/_control")
def control_get(handler, raw):
    handler.send_json(200, handler.script.snapshot())


@control_route("GET", "/_requests")
def requests_get(handler, raw):
    handler.send_json(200, {"requests": handler.log.all()})


@control_route("DELETE", "/_requests")
def requests_delete(handler, raw):
    handler.log.clear()
    handler.send_json(200, {"requests": []})


@control_route("GET", "/health")
def health(handler, raw):
    handler.send_json(200, {"status": "ok"})


# -- embeddings -----------------------------------------------------------

TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
                   r"|[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


def direction(token, dimension):
    """A fixed pseudo-random vector for a token (components in [-1, 1])."""
    raw = hashlib.shake_256(token.encode("utf-8")).digest(2 * dimension)
    return [value / 32767.5 - 1.0 for value in struct.unpack("<%dH" % dimension, raw)]


def embed_text(text, dimension):
    vector = [0.0] * dimension
    tokens = TOKEN.findall(text.lower()) or [text]
    for token in tokens:
        for i, value in enumerate(direction(token, dimension)):
            vector[i] += value
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


@api_route("POST", "/v1/embeddings", "/embeddings")
def embeddings(handler, body):
    inputs = body.get("input")
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs:
        handler.send_error_json(400, "'input' must be a string or a non-empty array of strings", code="invalid_input")
        return
    if len(inputs) > handler.options.max_batch:
        handler.send_error_json(400, "too many inputs: %d > %d" % (len(inputs), handler.options.max_batch))
        return
    if any(not isinstance(item, str) or item == "" for item in inputs):
        handler.send_error_json(400, "'$.input' is invalid: every input must be a non-empty string", code="invalid_input")
        return
    dimension = handler.options.dimension
    if handler.script.take("wrong_dimension_next"):
        dimension += 1
    data = [{"object": "embedding", "index": i, "embedding": embed_text(text, dimension)}
            for i, text in enumerate(inputs)]
    if handler.script.take("shuffle_next"):
        data.reverse()
    tokens = sum(len(TOKEN.findall(text)) for text in inputs)
    handler.send_json(200, {"object": "list", "data": data, "model": body.get("model", "fake-embedding"),
                            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def main():
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible API for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--api-key", default=None, help="require Authorization: Bearer KEY")
    parser.add_argument("--max-batch", type=int, default=2048)
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args()

    # A test runner may start us with SIGTERM blocked (inherited mask); stop on it anyway.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))

    Handler.options = options
    Handler.script = Script()
    Handler.log = RequestLog()
    Handler.stopping = threading.Event()
    server = ThreadingHTTPServer((options.host, options.port), Handler)
    server.daemon_threads = True
    print("LISTENING %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        Handler.stopping.set()
        server.server_close()


if __name__ == "__main__":
    main()
