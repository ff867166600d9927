#!/usr/bin/env python3
"""A stand-in FastCGI responder for checking the nginx config without ragd.

It plays ragd's part of the contract that nginx relies on, and nothing more:
  * echoes the request id it received (HTTP_X_REQUEST_ID) as X-Request-ID;
  * routes as ragd does, on the raw REQUEST_URI (its path up to the first "?");
  * GET /sse streams two events with X-Accel-Buffering: no, a pause between them;
  * any other path answers 200 with a JSON object of all the FastCGI params it
    received and the size of the request body.

Usage: fcgi-standin.py unix:/path/to.sock [MODE] [OWNER:GROUP]
       fcgi-standin.py 127.0.0.1:PORT
(python3, stdlib only)
Stops on SIGTERM/SIGINT. Serves each connection on its own thread and closes it after
one request unless nginx asked to keep it (FCGI_KEEP_CONN), like libfcgi does.
"""
import grp
import json
import os
import pwd
import signal
import socketserver
import struct
import sys
import time

BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6
KEEP_CONN = 1
HEADER = struct.Struct("!BBHHBx")


def read_exact(f, n):
    data = f.read(n)
    if data is None or len(data) < n:
        raise EOFError
    return data


def read_record(f):
    version, rtype, rid, length, padding = HEADER.unpack(read_exact(f, HEADER.size))
    content = read_exact(f, length) if length else b""
    if padding:
        read_exact(f, padding)
    return rtype, rid, content


def write_record(f, rtype, rid, content=b""):
    # Records carry at most 65535 bytes of content.
    for start in range(0, max(len(content), 1), 65535):
        chunk = content[start:start + 65535]
        f.write(HEADER.pack(1, rtype, rid, len(chunk), 0) + chunk)
        if not content:
            break
    f.flush()


def parse_params(data):
    params, i = {}, 0

    def length():
        nonlocal i
        if data[i] < 128:
            i += 1
            return data[i - 1]
        n = struct.unpack("!I", data[i:i + 4])[0] & 0x7FFFFFFF
        i += 4
        return n

    while i < len(data):
        nlen = length()
        vlen = length()
        name = data[i:i + nlen].decode("latin-1")
        i += nlen
        params[name] = data[i:i + vlen].decode("latin-1")
        i += vlen
    return params


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            while self.serve_one():
                pass
        except (EOFError, BrokenPipeError, ConnectionResetError):
            pass

    def serve_one(self):
        rfile, wfile = self.rfile, self.wfile
        rtype, rid, content = read_record(rfile)
        if rtype != BEGIN_REQUEST:
            return False
        flags = content[2]
        params_data, body = b"", b""
        while True:
            rtype, _, content = read_record(rfile)
            if rtype == PARAMS:
                if not content:
                    break
                params_data += content
            elif rtype == ABORT_REQUEST:
                return False
        while True:
            rtype, _, content = read_record(rfile)
            if rtype == STDIN:
                if not content:
                    break
                body += content
        params = parse_params(params_data)
        request_id = params.get("HTTP_X_REQUEST_ID", "")
        # Routed as ragd routes: on the raw REQUEST_URI's path, not nginx's DOCUMENT_URI.
        path = params.get("REQUEST_URI", params.get("DOCUMENT_URI", "/")).split("?", 1)[0]

        def out(data):
            write_record(wfile, STDOUT, rid, data)

        if path == "/sse":
            out(("Status: 200 OK\r\nContent-Type: text/event-stream\r\n"
                 "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
                 f"X-Request-ID: {request_id}\r\n\r\n").encode())
            out(b"data: first\n\n")
            time.sleep(1.5)  # the gap the unbuffered check measures
            out(b"data: second\n\n")
        else:
            payload = json.dumps({"params": params, "body_length": len(body)}).encode()
            out(("Status: 200 OK\r\nContent-Type: application/json\r\n"
                 f"X-Request-ID: {request_id}\r\n"
                 f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload)
        write_record(wfile, STDOUT, rid)
        write_record(wfile, END_REQUEST, rid, struct.pack("!IB3x", 0, 0))
        return bool(flags & KEEP_CONN)


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    listen = sys.argv[1]
    path = None
    if listen.startswith("unix:"):
        path = listen[len("unix:"):]
        if os.path.exists(path):
            os.unlink(path)
        server = UnixServer(path, Handler)
        if len(sys.argv) > 3:
            user, _, group = sys.argv[3].partition(":")
            os.chown(path, pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid if group else -1)
        os.chmod(path, int(sys.argv[2], 8) if len(sys.argv) > 2 else 0o660)
    else:
        host, _, port = listen.rpartition(":")
        server = TCPServer((host, int(port)), Handler)

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if path:
            os.unlink(path)


if __name__ == "__main__":
    main()
