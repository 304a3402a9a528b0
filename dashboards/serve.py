"""``epilake dashboards serve``: the built page over HTTP (the page also opens as a file)."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


def make_server(folder: Path, host: str = "127.0.0.1", port: int = 8050) -> ThreadingHTTPServer:
    """A server for ``folder`` (port 0 picks a free port); call ``serve_forever()``."""
    if not (folder / "index.html").exists():
        raise FileNotFoundError(f"No dashboard in {folder}: run `epilake run` first.")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    return ThreadingHTTPServer((host, port), handler)
