#!/usr/bin/env python3
"""Bounded HTTPS client loop for the live tests.

loadloop.py URL --connections C --requests N [--duration-cap S]

C threads, each with its own keep-alive connection, send N requests in total (GET URL)
and stop; prints one JSON object: {"ok", "failed", "statuses", "errors", "elapsed"}.
A request fails when it gets no response or a status other than 200.
"""
import argparse
import http.client
import json
import ssl
import threading
import time
import urllib.parse


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--duration-cap", type=float, default=120.0)
    args = parser.parse_args()

    target = urllib.parse.urlsplit(args.url)
    path = target.path + ("?" + target.query if target.query else "")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    lock = threading.Lock()
    remaining = [args.requests]
    ok = [0]
    statuses = {}
    errors = []
    deadline = time.monotonic() + args.duration_cap

    def connect():
        if target.scheme == "https":
            return http.client.HTTPSConnection(target.hostname, target.port, timeout=30, context=context)
        return http.client.HTTPConnection(target.hostname, target.port, timeout=30)

    def worker():
        conn = connect()
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    if response.status == 200:
                        ok[0] += 1
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = connect()
            except Exception as error:  # noqa: BLE001 - every failure is counted
                with lock:
                    errors.append(repr(error)[:200])
                conn.close()
                conn = connect()
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = sum(statuses.values()) + len(errors)
    print(json.dumps({
        "ok": ok[0],
        "failed": sent - ok[0],
        "sent": sent,
        "statuses": {str(k): v for k, v in statuses.items()},
        "errors": errors[:20],
        "elapsed": round(time.monotonic() - started, 3),
    }))


if __name__ == "__main__":
    main()
