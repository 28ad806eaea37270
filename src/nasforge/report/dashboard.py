"""`nasforge dashboard`: the HTML report served on 127.0.0.1, rebuilt when the study file changes
and reloaded by the browser every few seconds, so it follows a running search."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from nasforge.errors import InvalidArgumentError, NasforgeError
from nasforge.report.build import page


class Dashboard:
    """The latest page of one study, rebuilt when the study file (or its WAL) changes."""

    def __init__(self, study: str | Path, refresh_s: int) -> None:
        self.study, self.refresh_s = Path(study), refresh_s
        self.lock = threading.Lock()
        self.stamp: tuple[float, ...] = ()
        self.html = ""

    def current(self) -> str:
        paths = (self.study, Path(f"{self.study}-wal"))
        stamp = tuple(p.stat().st_mtime if p.exists() else 0.0 for p in paths)
        with self.lock:
            if stamp != self.stamp:
                self.html, self.stamp = page(self.study, self.refresh_s), stamp
            return self.html


def serve_dashboard(
    study: str | Path, *, host: str = "127.0.0.1", port: int = 8050, refresh_s: int = 10
) -> None:
    """Serve the dashboard until interrupted."""
    dashboard = Dashboard(study, refresh_s)
    dashboard.current()  # a broken study fails here, before the server starts

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the standard library's name
            if self.path not in ("/", "/index.html"):
                self.send_error(404, "the dashboard is at /")
                return
            try:
                body, status = dashboard.current().encode(), 200
            except NasforgeError as exc:
                body, status = f"cannot read the study: {exc}".encode(), 503
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        raise InvalidArgumentError(
            f"--port {port}: cannot listen on {host}:{port} ({exc.strerror})"
        ) from None
    print(f"dashboard of {study} at http://{host}:{server.server_port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
