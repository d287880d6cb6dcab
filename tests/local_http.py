"""The one HTTP server the tests use: real, on 127.0.0.1, serving files from a folder.

    with LocalServer(tmp_path / "www").running() as server:
        url = server.publish("ratings.txt", data)            # /files/ratings.txt
        server.url("ranged/ratings.txt")                     # the same file, resumable

Paths: /files/<name> the file with its Content-Length; /ranged/<name> the file with an ETag,
honouring Range and If-Range (206 from an offset, 416 past the end); /truncated/<name> half
of it while announcing all of it and more; /nolength/<name> the file without Content-Length;
/slow nothing until the test ends; anything else 404. While `slow` is set every response is
sent 16 KB per 50 ms, so a test can interrupt a download halfway. `requests` records each
(path, headers).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHUNK = 16_384


@dataclass
class LocalServer:
    root: Path
    base: str = ""
    slow: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def publish(self, name: str, data: bytes, kind: str = "files") -> str:
        """Serve `data` as `name`; the URL under /`kind`/ (files, ranged, truncated, nolength)."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / name).write_bytes(data)
        return self.url(f"{kind}/{name}")

    def count(self, path: str) -> int:
        return sum(1 for requested, _ in self.requests if requested == path)

    @staticmethod
    def etag(data: bytes) -> str:
        return '"' + hashlib.sha256(data).hexdigest()[:16] + '"'

    @contextmanager
    def running(self) -> Iterator[LocalServer]:
        self.root.mkdir(parents=True, exist_ok=True)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.base = f"http://127.0.0.1:{httpd.server_address[1]}"
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
        thread.daemon = True
        thread.start()
        # urllib honours http_proxy: the test server must be reached directly.
        saved = {name: os.environ.get(name) for name in ("no_proxy", "NO_PROXY")}
        os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"
        try:
            yield self
        finally:
            self.release.set()
            httpd.shutdown()
            httpd.server_close()
            thread.join(2)
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
            server.requests.append((self.path, dict(self.headers.items())))
            kind, _, name = self.path.lstrip("/").partition("/")
            source = server.root / name
            if kind == "slow":
                server.release.wait(5)
                return
            if kind not in ("files", "truncated", "nolength", "ranged") or not source.is_file():
                self.send_error(404, "Not Found")
                return
            data = source.read_bytes()
            if kind == "ranged":
                self._ranged(data)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if kind == "files":
                self.send_header("Content-Length", str(len(data)))
            elif kind == "truncated":
                self.send_header("Content-Length", str(len(data) + 1000))
                data = data[: len(data) // 2]
            self.end_headers()
            self._send(data)

        def _ranged(self, data: bytes) -> None:
            etag = server.etag(data)
            wanted = self.headers.get("Range", "")
            start = 0
            if wanted.startswith("bytes=") and self.headers.get("If-Range", etag) == etag:
                start = int(wanted[len("bytes=") :].rstrip("-"))
            if start >= len(data) > 0:
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("ETag", etag)
            self.end_headers()
            self._send(data[start:])

        def _send(self, body: bytes) -> None:
            try:
                for i in range(0, len(body), CHUNK):
                    self.wfile.write(body[i : i + CHUNK])
                    if server.slow.is_set():
                        time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler
