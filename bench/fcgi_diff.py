#!/usr/bin/env python3
"""Differential check of two ragd builds: the same FastCGI requests straight to each one's
socket (one worker x one thread, bench.py's environment, no backends), their responses
and access-log lines compared after masking what must differ (timestamps, pids,
durations, generated request ids; numbers in /status and /metrics).

    bench/fcgi_diff.py BASE_BINARY NEW_BINARY

The cases are request shapes the transport and the middlewares treat differently:
lower-case method, HEAD, query only in REQUEST_URI, missing REQUEST_URI/DOCUMENT_URI,
invalid, missing, duplicate and over-long request ids, duplicate Origin, CORS preflights,
404/405/413, non-ASCII and invalid-UTF-8 paths and param names, a body where none was
announced, /status, /metrics.
"""
import os, re, signal, socket, struct, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench

def rec(t, rid, content):
    return struct.pack("!BBHHBx", 1, t, rid, len(content), 0) + content

def nv(name, value):
    def ln(n): return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    return ln(len(name)) + ln(len(value)) + name + value

def request(sock_path, params, body=b""):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(sock_path)
    data = rec(1, 1, struct.pack("!HB5x", 1, 0))
    p = b"".join(nv(k, v) for k, v in params)
    for i in range(0, len(p), 60000):
        data += rec(4, 1, p[i:i + 60000])
    data += rec(4, 1, b"")
    for i in range(0, len(body), 60000):
        data += rec(5, 1, body[i:i + 60000])
    data += rec(5, 1, b"")
    s.sendall(data)
    out = b""
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        buf += chunk
    s.close()
    i = 0
    while i + 8 <= len(buf):
        _, t, _, clen, plen = struct.unpack("!BBHHB", buf[i:i + 7])
        content = buf[i + 8:i + 8 + clen]
        if t == 6: out += content
        i += 8 + clen + plen
    return out

BASE = [(b"GATEWAY_INTERFACE", b"CGI/1.1"), (b"SERVER_SOFTWARE", b"nginx"), (b"SCRIPT_NAME", b"/x"),
        (b"SERVER_PROTOCOL", b"HTTP/1.1"), (b"REQUEST_SCHEME", b"http"), (b"REMOTE_ADDR", b"127.0.0.1"),
        (b"REMOTE_PORT", b"40000"), (b"SERVER_ADDR", b"127.0.0.1"), (b"SERVER_PORT", b"80"), (b"SERVER_NAME", b"localhost")]

def case(method, uri, extra=(), body=b"", doc=None, query=None, rid=b"0123456789abcdef0123456789abcdef"):
    params = [(b"REQUEST_METHOD", method)]
    if uri is not None: params.append((b"REQUEST_URI", uri))
    params.append((b"DOCUMENT_URI", doc if doc is not None else (uri or b"/").split(b"?")[0]))
    params.append((b"QUERY_STRING", query if query is not None else (uri.split(b"?", 1)[1] if uri and b"?" in uri else b"")))
    params += [(b"CONTENT_TYPE", b"application/json" if body else b""), (b"CONTENT_LENGTH", str(len(body)).encode() if body else b"")]
    params += BASE
    if rid is not None: params.append((b"HTTP_X_REQUEST_ID", rid))
    params += [(b"HTTP_HOST", b"localhost"), (b"HTTP_ACCEPT_ENCODING", b"identity")] + list(extra)
    return params, body

CASES = [
    case(b"GET", b"/health"), case(b"get", b"/health"), case(b"HEAD", b"/health"), case(b"GET", b"/health?x=1&y"),
    case(b"GET", None, doc=b"/health"), case(b"GET", None, doc=b""), case(b"GET", b"/health", query=b"q=2"),
    case(b"GET", b"/health", rid=b"bad id"), case(b"GET", b"/health", rid=b""), case(b"GET", b"/health", rid=None),
    case(b"GET", b"/health", rid=b"a" * 129), case(b"GET", b"/health", rid=b"a" * 128),
    case(b"GET", b"/health", extra=[(b"HTTP_X_REQUEST_ID", b"second-id")]),
    case(b"GET", b"/health", extra=[(b"HTTP_ORIGIN", b"https://evil.example"), (b"HTTP_ORIGIN", b"http://localhost:3000")]),
    case(b"OPTIONS", b"/v1/query", extra=[(b"HTTP_ORIGIN", b"http://localhost:3000"), (b"HTTP_ACCESS_CONTROL_REQUEST_METHOD", b"POST"),
                                          (b"HTTP_ACCESS_CONTROL_REQUEST_HEADERS", b"authorization, content-type")]),
    case(b"OPTIONS", b"/v1/query", extra=[(b"HTTP_ORIGIN", b"https://evil.example"), (b"HTTP_ACCESS_CONTROL_REQUEST_METHOD", b"POST")]),
    case(b"GET", b"/nope"), case(b"POST", b"/health"), case(b"DELETE", b"/health"),
    case(b"POST", b"/v1/query", body=b'{"query":"x"}'), case(b"POST", b"/v1/chat/completions", body=b"{}"),
    case(b"GET", b"/caf\xc3\xa9/\xe2\x82"), case(b"GET", b"/\xff?\xfe=1"), case(b"GET", b"/" + "日本".encode() * 100),
    case(b"GET", b"/health", extra=[(b"HTTP_X_CAF\xc3\x89", b"1"), (b"CONTENT_TYP\xc3\x89", b"x")]),
    case(b"GET", b"/status?full"), case(b"GET", b"/metrics"), case(b"GET", b"/health/ready"),
    case(b"GET", b"/health", body=b"unexpected"), case(b"GET", b"/v1/documents/abc"),
    case(b"POST", b"/v1/documents", body=b"x" * 70000),
    case(b"GET", b"/health", extra=[(b"HTTP_AUTHORIZATION", b"Bearer x"), (b"HTTP_USER_AGENT", b"t\"x\\y")]),
]

def mask(text):
    text = re.sub(rb'"timestamp":"[^"]*"', b'"timestamp":"T"', text)
    text = re.sub(rb'"ts":"[^"]*"', b'"ts":"T"', text)
    text = re.sub(rb'"pid":\d+', b'"pid":P', text)
    text = re.sub(rb'"duration_ms":[0-9.e+-]+', b'"duration_ms":D', text)
    text = re.sub(rb'[0-9a-f]{32}', b'RID', text)
    text = re.sub(rb'"(uptime|started|start_time|memory|cpu|rss)[^,}]*', b'"MASKED', text)
    return text

def run(binary, tmp):
    s = bench.Settings(); s.workers, s.threads = 1, 1; s.ragd_bin = binary
    b = bench.Ragd(s, tmp); b.sock = str(tmp / f"{Path(binary).name}.sock")
    cmd, env = b.command()
    e = dict(os.environ); e.update(env)
    log = tmp / f"{Path(binary).name}.log"
    srv = subprocess.Popen(cmd, env=e, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        bench.wait_until("socket", time.monotonic() + 60, lambda: len(bench.children_of(srv.pid)) >= 1 and b.listening())
        time.sleep(0.5)
        outs = [request(b.sock, p, body) for p, body in CASES]
        time.sleep(0.5)
    finally:
        bench.stop_process(srv, signal.SIGTERM, grace=30)
    lines = [l for l in log.read_bytes().splitlines() if b'"msg":"request"' in l or b'handler failed' in l or b'"level":"error"' in l]
    return outs, lines

tmp = Path(tempfile.mkdtemp(prefix="fcgidiff-")); tmp.chmod(0o755)
a_out, a_log = run(sys.argv[1], tmp)
b_out, b_log = run(sys.argv[2], tmp)
bad = 0
for i, (x, y) in enumerate(zip(a_out, b_out)):
    if i in (25, 26):  # /status and /metrics carry pids, times and byte counts
        x, y = re.sub(rb"\d+", b"N", x), re.sub(rb"\d+", b"N", y)
    if mask(x) != mask(y):
        bad += 1; print("RESPONSE DIFF case", i, "\n ", mask(x)[:400], "\n ", mask(y)[:400])
if len(a_log) != len(b_log): print("log line counts", len(a_log), len(b_log)); bad += 1
for x, y in zip(a_log, b_log):
    if b'"route":"/status"' in x or b'"route":"/metrics"' in x:
        x, y = re.sub(rb'"bytes":\d+', b"", x), re.sub(rb'"bytes":\d+', b"", y)
    if mask(x) != mask(y):
        bad += 1; print("LOG DIFF\n ", mask(x)[:400], "\n ", mask(y)[:400])
print(f"{len(CASES)} cases, {len(a_log)} log lines, {bad} differences")
print("sample:", mask(a_out[0])[:300], "\n", a_log[0][:300] if a_log else None, "\n", b_log[0][:300] if b_log else None)
