"""The HTTP/1.1 server of the HTTP client tests (Tests/RagdBackendTests/LocalHTTPServer.swift).

    http_test_server.py PORT_FILE

Listens on a free loopback port, threaded, standard library only, and writes the port to
PORT_FILE (atomically) once it listens.
"""
import http.server, os, sys, time

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def route(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path
        if path.startswith("/echo"):
            self.reply(200, body, [("X-Method", self.command),
                                   ("X-Test", self.headers.get("X-Test", "")),
                                   ("X-Query", path.partition("?")[2])])
        elif path.startswith("/status/"):
            self.reply(int(path.split("/")[2]), b"status body")
        elif path == "/peer":
            self.reply(200, str(self.client_address[1]).encode())
        elif path == "/big":
            self.reply(200, b"x" * 100000)
        elif path.startswith("/stream"):
            count = int(path.partition("?")[2] or "200")
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            try:
                for i in range(count):
                    self.chunk(b"data: %d\n\n" % i)
                    time.sleep(0.05)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
        elif path == "/silent-stream":
            # Headers, then nothing for a long time: a stalled upstream.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            time.sleep(30)
            self.close_connection = True
        else:
            self.reply(404, b"not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = route

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

server = Server(("127.0.0.1", 0), Handler)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, sys.argv[1])
server.serve_forever()
