"""Serve the built site the way GitHub Pages does, for reading it and for the browser tests.

- The site lives under a path prefix (``/course/`` for the published site), so absolute links
  such as those of the 404 page resolve as they will online.
- Text files are sent gzip-compressed when the browser accepts it, as GitHub Pages does, so
  page-weight and Lighthouse measurements see the bytes a reader downloads.
- A missing page answers 404 with the site's ``404.html``.
- The server's own root, outside the prefix, sends the browser to the site (a convenience of
  this server: ``http://localhost:8000`` opens the book).

Run: ``python book/tools/serve.py _build/html --port 8000``.
"""

from __future__ import annotations

import argparse
import gzip
import mimetypes
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
DEFAULT_PREFIX = "/course/"


def _handler(site: Path, prefix: str) -> type[BaseHTTPRequestHandler]:
    site = site.resolve()

    class PagesHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the tests report what matters

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def _resolve(self, url_path: str) -> Path | None:
            if not url_path.startswith(prefix):
                return None
            relative = unquote(url_path[len(prefix) :])
            target = (site / relative).resolve()
            if target != site and site not in target.parents:
                return None
            if target.is_dir():
                target = target / "index.html"
            return target if target.is_file() else None

        def _redirect(self, status: HTTPStatus, location: str) -> None:
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _answer(self, send_body: bool) -> None:
            url_path = urlsplit(self.path).path
            if url_path == "/" != prefix:
                self._redirect(HTTPStatus.FOUND, prefix)
                return
            if url_path + "/" == prefix or (
                url_path.startswith(prefix) and (site / unquote(url_path[len(prefix) :])).is_dir()
                and not url_path.endswith("/")
            ):
                self._redirect(HTTPStatus.MOVED_PERMANENTLY, url_path + "/")
                return
            target = self._resolve(url_path)
            status = HTTPStatus.OK
            if target is None:
                status = HTTPStatus.NOT_FOUND
                target = site / "404.html"
            body = target.read_bytes() if target.is_file() else b"Not found\n"
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
                kind += "; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
            if accepts_gzip and kind.startswith(COMPRESSED_TYPES):
                body = gzip.compress(body, compresslevel=6, mtime=0)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Vary", "Accept-Encoding")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=600")
            self.end_headers()
            if send_body:
                self.wfile.write(body)

    return PagesHandler


class _PagesServer(ThreadingHTTPServer):
    """Threads per request; a reader's browser that closes a connection early (a cancelled
    image, a page left mid-load) is normal, not an error worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class SiteServer:
    """A background server for ``site`` on 127.0.0.1; use as a context manager.

    ``url`` is the site's root address, ending in ``prefix``.
    """

    def __init__(self, site: Path, prefix: str = DEFAULT_PREFIX, port: int = 0) -> None:
        if not (Path(site) / "index.html").is_file():
            raise FileNotFoundError(f"no built site at {site}: run `make book` first")
        if not (prefix.startswith("/") and prefix.endswith("/")):
            raise ValueError(f"prefix must start and end with '/', got {prefix!r}")
        self.httpd = _PagesServer(("127.0.0.1", port), _handler(Path(site), prefix))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{prefix}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--prefix", default=DEFAULT_PREFIX)
    args = parser.parse_args()
    server = SiteServer(args.site, args.prefix, args.port)
    print(f"Serving {args.site} at {server.url} (Ctrl-C to stop)")
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
