"""What the outbound client (boite.lib.outbound) costs against plain httpx, on loopback.

A file of BENCH_OUTBOUND_MB (256 by default) downloaded into a temporary file, as a
harvest does, and small JSON answers asked one after the other, as a distributor call
does. The same server answers both clients; loopback is allowed for the run only.
"""

from __future__ import annotations

import os
import resource
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from django.test import override_settings

from bench.report import time_calls
from boite.lib import outbound

CHUNK = b"<Product>" + b"x" * (64 * 1024 - 20) + b"</Product>\n"


def _server(size: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if self.path == "/small":
                body = b'{"returnStatus": "OK", "loanId": "L-1"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            sent = 0
            while sent < size:
                part = CHUNK[: size - sent]
                self.wfile.write(part)
                sent += len(part)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _download_httpx(url: str) -> int:
    with httpx.Client() as client, tempfile.TemporaryFile() as spool:
        with client.stream("GET", url) as response:
            for chunk in response.iter_bytes():
                spool.write(chunk)
        return spool.tell()


def _download_outbound(url: str) -> int:
    with outbound.Client(files=True) as client, tempfile.TemporaryFile() as spool:
        client.download(url, spool)
        return spool.tell()


def run(report) -> None:
    size = int(os.environ.get("BENCH_OUTBOUND_MB", "256")) * 1024 * 1024
    server = _server(size)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with override_settings(OUTBOUND_ALLOWED_NETWORKS=["127.0.0.0/8"]):
            for name, download in (("httpx", _download_httpx), ("outbound", _download_outbound)):
                before = _peak_rss_mib()
                began = time.perf_counter()
                if download(base + "/file") != size:
                    raise RuntimeError(f"{name}: the download is not complete")
                seconds = time.perf_counter() - began
                report.figure(
                    f"outbound.download_{name}_mib_per_s", size / 1024 / 1024 / seconds, "MiB/s"
                )
                report.figure(
                    f"outbound.download_{name}_peak_rss_growth", _peak_rss_mib() - before, "MiB"
                )
            with httpx.Client() as plain:
                report.timings(
                    "outbound.small_get_httpx", time_calls(lambda: plain.get(base + "/small"), 300)
                )
            with outbound.Client() as guarded:
                report.timings(
                    "outbound.small_get_outbound",
                    time_calls(lambda: guarded.get(base + "/small"), 300),
                )
    finally:
        server.shutdown()
        server.server_close()
