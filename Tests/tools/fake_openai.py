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

  POST /v1/chat/completions  {"model": M, "messages": [{"role", "content"}, ...],
                              "stream"?, "temperature"?, "max_tokens"?, "stream_options"?}
      The answer is deterministic, computed from the messages. Lines of any message that
      start with `[n]` are numbered passages (a passage runs to the next `[m]` line or blank
      line). With passages the answer cites the first two present, in order of appearance:
          "According to the sources, <first 8 words of passage a> [a]. <... of b> [b]."
      (only numbers that are present; one passage gives one sentence). With no passage:
          "I don't know."
      The control field answer_text replaces the answer verbatim (to cite [7] when there
      is no passage 7, say). The answer is cut into tokens of about one word, each keeping
      the white space before it (CJK characters are one token each), so the tokens
      concatenated are the answer; max_tokens keeps only that many tokens and finishes
      with "length" instead of "stop".
      usage: prompt_tokens = white-space separated words of all message contents,
      completion_tokens = tokens sent, total_tokens = their sum.
      A model whose name starts with "unknown" answers 404 (code "model_not_found");
      messages missing, empty or without string role/content answer 400.
      Non-streaming -> {"id", "object": "chat.completion", "created", "model",
          "choices": [{"index": 0, "message": {"role": "assistant", "content": A},
                       "finish_reason": "stop"}], "usage": {...}}
      "stream": true -> 200 text/event-stream, chunked, one event flushed at a time:
          data: {"object": "chat.completion.chunk", "choices": [{"index": 0,
                 "delta": {"role": "assistant"}, "finish_reason": null}], ...}
          data: {... "delta": {"content": TOKEN} ...}            (one per token)
          data: {... "delta": {}, "finish_reason": "stop"}
          data: {... "choices": [], "usage": {...}}   (only with stream_options.include_usage)
          data: [DONE]

  POST /v1/rerank  {"query": Q, "documents"?: [str], "texts"?: [str], "top_n"?, "model"?,
                    "return_documents"?}
      Relevance is lexical: the fraction of the query's distinct words (lower-cased, CJK per
      character) found in the document, times 0.99, plus 0.01 / (1 + index) so that ties
      go to the earlier document. `documents` wins when both lists are given; neither (or
      empty) answers 400. Answer, sorted by score descending and cut to top_n:
          {"model": M, "results": [{"index": i, "relevance_score": s
                                    [, "document": {"text": T}]}, ...]}   (Cohere/Jina)
      or, with the control field rerank_shape "tei", a bare list as text-embeddings-
      inference answers (all documents, top_n ignored):
          [{"index": i, "score": s [, "text": T]}, ...]

Authentication: with --api-key, API endpoints require `Authorization: Bearer KEY`
(401 with an OpenAI-style error otherwise). Control endpoints never do.

Control endpoints (for tests to script failures):
  POST /_control  JSON object, fields merged into the current script:
      fail_next: N          the next N API requests fail with...
      status: S             ...this status (default 500)
      retry_after: SECONDS  ...and this Retry-After header (default none)
      hang_next: N          the next N API requests hang for hang_ms before answering
      hang_ms: MS           (default 60000; a client timeout is expected first; a hang ends
                            early, unanswered, when the client closes the connection)
      delay_ms: MS          every API request waits this long first (default 0)
      wrong_dimension_next: N   the next N embeddings answers have dimension + 1
      shuffle_next: N       the next N embeddings answers list data in reverse order
                            (with correct `index` fields)
      bad_json_next: N      the next N API requests answer 200 with a body that is not JSON
                            (text/html, also for "stream": true)
      answer_text: TEXT     chat answers are exactly TEXT (default null: computed)
      token_delay_ms: MS    streamed chat waits this long before each token (default 0)
      stream_seconds: S     streamed chat spreads its tokens so the stream lasts about S
                            seconds (overrides token_delay_ms; default null)
      cut_stream_after: N   the next streamed chat answer closes the connection after N
                            tokens, with no finish chunk and no [DONE] (one use, then null)
      error_event_after: N  the next streamed chat answer sends, after N tokens,
                            data: {"error": {"message", "type": "server_error", "code"}}
                            and ends the body without [DONE] (one use, then null)
      sse_comments: BOOL    streamed chat sends a ": keep-alive" comment before each token
                            (as DeepSeek does while it waits; default false)
      sse_crlf: BOOL        streamed chat ends its lines with CRLF (default false: LF)
      stream_framing: F     "chunked" (default) or "close": no Transfer-Encoding, the end of
                            the body is the connection closing
      rerank_shape: SHAPE   "cohere" (default: {"results": [...]}) or "tei" (bare list)
      rerank_bad_index_next: N  the next N rerank answers start with a result whose index is
                            the number of documents (out of range)
      reset: true           clear the script and the request log first
    -> the whole script as JSON. Unknown fields answer 400.
  GET  /_control   the current script.
  GET  /_requests  {"requests": [{"method", "path", "headers", "authorization", "body",
                   "status", "time", "started", "finished"}, ...]}: every API request in
                   arrival order. `headers` leaves out Authorization; `authorization` is
                   "missing", "valid" or "invalid" (or "present" without --api-key).
                   `body` is the parsed JSON (or the text if it is not JSON). `status` is
                   what was answered (null while nothing is). `time` == `started` is the
                   arrival (time.time()), `finished` when the handler was done (null before).
                   Streamed chat answers also have "stream": true, "tokens_sent" (content
                   tokens written so far), "client_disconnected": true|false and
                   "disconnected_at" (time.time(), or null): a disconnect is noticed when a
                   write fails or, while waiting between tokens (or in a hang), by select()
                   on the socket (a close makes it readable, recv(MSG_PEEK) then gives b""),
                   so it shows within milliseconds of the close.
  DELETE /_requests  clear the log.
  GET  /health     {"status": "ok"}

Concurrency: one daemon thread per connection and a listen backlog of 1024, so a
benchmark can hold hundreds of concurrent slow streams.

Extending: register another API endpoint with @api_route("POST", "/v1/x", "/x"); the
handler gets (handler, request_json, log_entry) and answers with handler.send_json(...)
(or writes a stream itself). Scripted failures, delays, authentication and the request log
apply to every API route.
"""
import argparse
import hashlib
import itertools
import json
import math
import re
import select
import signal
import socket
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

    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}
        self.reset()

    def reset(self):
        with self.lock:
            self.values = {"fail_next": 0, "status": 500, "retry_after": None, "hang_next": 0,
                           "hang_ms": 60000, "delay_ms": 0, "wrong_dimension_next": 0,
                           "shuffle_next": 0, "bad_json_next": 0, "answer_text": None,
                           "token_delay_ms": 0, "stream_seconds": None, "cut_stream_after": None,
                           "error_event_after": None, "sse_comments": False, "sse_crlf": False,
                           "stream_framing": "chunked", "rerank_shape": "cohere", "rerank_bad_index_next": 0}

    def update(self, changes):
        with self.lock:
            # Check every field first, so a bad request changes nothing.
            for key in changes:
                if key != "reset" and key not in self.values:
                    raise ValueError("unknown control field: %s" % key)
            for key, value in changes.items():
                if key != "reset":
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

    def take_once(self, key):
        """The value of a one-use field (None if unset), which is cleared."""
        with self.lock:
            value = self.values.get(key)
            self.values[key] = None
            return value


class RequestLog:
    """Entries are updated by their handler thread while others read the log, so every
    access goes through the lock and readers get copies."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []

    def add(self, entry):
        with self.lock:
            self.entries.append(entry)

    def update(self, entry, **fields):
        with self.lock:
            entry.update(fields)

    def all(self):
        with self.lock:
            return [dict(entry) for entry in self.entries]

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
        now = time.time()
        entry = {
            "method": method,
            "path": path,
            "headers": {k: v for k, v in self.headers.items() if k.lower() != "authorization"},
            "authorization": self.authorization_state(),
            "body": body if body is not None or not raw else raw.decode("utf-8", "replace"),
            "status": None,
            "time": now,
            "started": now,
            "finished": None,
        }
        self.log.add(entry)
        self.status_sent = None
        try:
            self.answer_api(api, entry, body, raw)
        finally:
            self.log.update(entry, status=self.status_sent, finished=time.time())

    def answer_api(self, api, entry, body, raw):
        if self.options.api_key and entry["authorization"] != "valid":
            self.send_error_json(401, "Incorrect API key provided.", code="invalid_api_key")
            return
        values = self.script.snapshot()
        if values["delay_ms"]:
            self.stopping.wait(values["delay_ms"] / 1000.0)
        if self.script.take("hang_next"):
            # Waits, then answers normally if the client is still there.
            if not self.wait_watching(self.script.snapshot()["hang_ms"] / 1000.0):
                self.note_disconnect(entry)
                return
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
        api(self, body if body is not None else {}, entry)

    def authorization_state(self):
        value = self.headers.get("Authorization")
        if value is None:
            return "missing"
        if not self.options.api_key:
            return "present"
        return "valid" if value == "Bearer " + self.options.api_key else "invalid"

    # -- noticing a client that went away ---------------------------------

    def client_gone(self, wait=0.0):
        """True when the peer has closed the connection (or reset it), waiting up to `wait`
        seconds for that. Never consumes data: bytes waiting to be read mean a live client."""
        try:
            readable, _, _ = select.select([self.connection], [], [], wait)
            if not readable:
                return False
            if self.connection.recv(1, socket.MSG_PEEK) == b"":
                return True
            # A live client that sent more (pipelining): select would return at once, so
            # pace the loop instead.
            self.stopping.wait(min(0.05, wait))
            return False
        except (OSError, ValueError):
            return True

    def wait_watching(self, seconds):
        """Waits `seconds`; False as soon as the client has gone. The wait is a select() on
        the socket, which a close makes readable, so a disconnect is seen at once (at most
        50 ms late when the client had sent more bytes), long before the next write."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            remaining = deadline - time.monotonic()
            if self.client_gone(wait=max(0.0, min(remaining, 0.5))):
                return False
            if deadline - time.monotonic() <= 0 or self.stopping.is_set():
                return True

    def note_disconnect(self, entry):
        self.close_connection = True
        if not entry.get("client_disconnected"):
            self.log.update(entry, client_disconnected=True, disconnected_at=time.time())


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

CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
TOKEN = re.compile(r"[" + CJK + r"]|[^\W" + CJK + r"]+")


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
def embeddings(handler, body, entry):
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


# -- chat completions -----------------------------------------------------

PASSAGE = re.compile(r"^\s*\[(\d+)\]\s?(.*)$")
ANSWER_TOKEN = re.compile(r"\s*(?:[" + CJK + r"]|[^\s" + CJK + r"]+)")
COMPLETION_IDS = itertools.count(1)


def passages(messages):
    """{number: text} of the `[n]` passages in all messages, in order of appearance."""
    found = {}
    for message in messages:
        current = None
        for line in message["content"].splitlines():
            match = PASSAGE.match(line)
            if match:
                current = int(match.group(1))
                if current in found:
                    current = None  # a repeated number keeps its first passage
                else:
                    found[current] = match.group(2).strip()
            elif not line.strip():
                current = None
            elif current is not None:
                found[current] = (found[current] + " " + line.strip()).strip()
    return found


def compose_answer(messages):
    found = passages(messages)
    if not found:
        return "I don't know."
    sentences = []
    for number, text in list(found.items())[:2]:
        words = text.split()[:8]
        excerpt = " ".join(words).rstrip(".,;:!?") or "passage %d" % number
        sentences.append("%s [%d]." % (excerpt, number))
    return "According to the sources, " + " ".join(sentences)


def answer_tokens(answer):
    """About one word per token, each with the white space before it; concatenated they are
    the answer (trailing white space joins the last token)."""
    tokens = ANSWER_TOKEN.findall(answer)
    rest = answer[len("".join(tokens)):]
    if rest:
        if tokens:
            tokens[-1] += rest
        else:
            tokens = [rest]
    return tokens


def valid_messages(messages):
    return (isinstance(messages, list) and messages and
            all(isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
                for m in messages))


@api_route("POST", "/v1/chat/completions", "/chat/completions")
def chat_completions(handler, body, entry):
    messages = body.get("messages")
    if not valid_messages(messages):
        handler.send_error_json(400, "'messages' must be a non-empty array of {role, content} strings",
                                code="invalid_messages")
        return
    model = body.get("model") or "fake-chat"
    if not isinstance(model, str) or model.startswith("unknown"):
        handler.send_error_json(404, "The model `%s` does not exist" % model, code="model_not_found")
        return
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        handler.send_error_json(400, "'max_tokens' must be a positive integer", code="invalid_max_tokens")
        return
    forced = handler.script.snapshot()["answer_text"]
    answer = forced if isinstance(forced, str) else compose_answer(messages)
    tokens = answer_tokens(answer)
    finish = "stop"
    if max_tokens is not None and len(tokens) > max_tokens:
        tokens = tokens[:max_tokens]
        finish = "length"
    prompt_tokens = sum(len(m["content"].split()) for m in messages)
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens),
             "total_tokens": prompt_tokens + len(tokens)}
    completion_id = "chatcmpl-fake-%d" % next(COMPLETION_IDS)
    created = int(time.time())
    if body.get("stream") is True:
        include_usage = isinstance(body.get("stream_options"), dict) and body["stream_options"].get("include_usage") is True
        stream_chat(handler, entry, completion_id, created, model, tokens, finish, usage if include_usage else None)
        return
    handler.send_json(200, {
        "id": completion_id, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(tokens)},
                     "finish_reason": finish}],
        "usage": usage})


class ClientGone(Exception):
    pass


class EventWriter:
    """Writes server-sent events, one flushed write per event, chunked or close-delimited."""

    def __init__(self, handler, entry, chunked, crlf):
        self.handler = handler
        self.entry = entry
        self.chunked = chunked
        self.newline = b"\r\n" if crlf else b"\n"

    def raw(self, data):
        try:
            if self.chunked:
                data = b"%x\r\n" % len(data) + data + b"\r\n"
            self.handler.wfile.write(data)
            self.handler.wfile.flush()
        except OSError:
            self.handler.note_disconnect(self.entry)
            raise ClientGone()

    def data(self, payload):
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self.raw(b"data: " + text.encode("utf-8") + self.newline + self.newline)

    def comment(self, text):
        self.raw(b": " + text.encode("utf-8") + self.newline + self.newline)

    def end(self):
        if self.chunked:
            try:
                self.handler.wfile.write(b"0\r\n\r\n")
                self.handler.wfile.flush()
            except OSError:
                self.handler.note_disconnect(self.entry)


def stream_chat(handler, entry, completion_id, created, model, tokens, finish, usage):
    values = handler.script.snapshot()
    cut_after = handler.script.take_once("cut_stream_after")
    error_after = handler.script.take_once("error_event_after")
    if values["stream_seconds"]:
        delay = float(values["stream_seconds"]) / max(1, len(tokens))
    else:
        delay = float(values["token_delay_ms"] or 0) / 1000.0
    chunked = values["stream_framing"] != "close"
    handler.log.update(entry, stream=True, tokens_sent=0, client_disconnected=False, disconnected_at=None)

    handler.status_sent = 200
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        handler.wfile.flush()
    except OSError:
        handler.note_disconnect(entry)
        return

    def chunk(delta, finish_reason=None):
        return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    writer = EventWriter(handler, entry, chunked, values["sse_crlf"])
    try:
        writer.data(chunk({"role": "assistant"}))
        for sent, token in enumerate(tokens):
            if cut_after is not None and sent >= cut_after:
                # Hang up mid-answer: no terminating chunk, no [DONE].
                handler.close_connection = True
                handler.log.update(entry, cut=True)
                try:
                    handler.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if error_after is not None and sent >= error_after:
                writer.data({"error": {"message": "scripted stream error", "type": "server_error",
                                       "code": "internal_error"}})
                writer.end()
                handler.close_connection = True
                return
            if delay > 0 and not handler.wait_watching(delay):
                handler.note_disconnect(entry)
                return
            if values["sse_comments"]:
                writer.comment("keep-alive")
            writer.data(chunk({"content": token}))
            handler.log.update(entry, tokens_sent=sent + 1)
        writer.data(chunk({}, finish))
        if usage is not None:
            writer.data({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                         "model": model, "choices": [], "usage": usage})
        writer.data("[DONE]")
        writer.end()
    except ClientGone:
        return


# -- rerank ---------------------------------------------------------------

def relevance(query_words, document, index):
    words = set(TOKEN.findall(document.lower()))
    overlap = len(query_words & words) / len(query_words) if query_words else 0.0
    return overlap * 0.99 + 0.01 / (1 + index)


@api_route("POST", "/v1/rerank", "/rerank")
def rerank(handler, body, entry):
    query = body.get("query")
    documents = body.get("documents") or body.get("texts")
    if not isinstance(query, str) or not query.strip():
        handler.send_error_json(400, "'query' must be a non-empty string", code="invalid_query")
        return
    if not isinstance(documents, list) or not documents or not all(isinstance(d, str) for d in documents):
        handler.send_error_json(400, "'documents' (or 'texts') must be a non-empty array of strings",
                                code="invalid_documents")
        return
    top_n = body.get("top_n")
    if top_n is not None and (not isinstance(top_n, int) or top_n < 1):
        handler.send_error_json(400, "'top_n' must be a positive integer", code="invalid_top_n")
        return
    query_words = set(TOKEN.findall(query.lower()))
    scored = sorted(((relevance(query_words, d, i), i) for i, d in enumerate(documents)), key=lambda p: (-p[0], p[1]))
    with_text = body.get("return_documents") is True or body.get("return_text") is True
    if handler.script.take("rerank_bad_index_next"):
        scored.insert(0, (1.0, len(documents)))  # one past the last document
    if handler.script.snapshot()["rerank_shape"] == "tei":
        handler.send_json(200, [dict({"index": i, "score": s}, **({"text": documents[i]} if with_text else {}))
                                for s, i in scored])
        return
    if top_n is not None:
        scored = scored[:top_n]
    results = [dict({"index": i, "relevance_score": s}, **({"document": {"text": documents[i]}} if with_text else {}))
               for s, i in scored]
    handler.send_json(200, {"model": body.get("model") or "fake-rerank", "results": results})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connects when a benchmark opens a hundred streams at once.
    request_queue_size = 1024


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
    server = Server((options.host, options.port), Handler)
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
