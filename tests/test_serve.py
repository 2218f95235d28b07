"""Unit tests of book/tools/serve.py: the site served as GitHub Pages serves it."""

from __future__ import annotations

import gzip
import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from serve import SiteServer


@pytest.fixture
def site(tmp_path) -> Path:
    (tmp_path / "index.html").write_text("<p>home</p>" * 50)
    (tmp_path / "404.html").write_text("<p>lost</p>")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "index.html").write_text("<p>chapter</p>")
    (tmp_path / "figure.png").write_bytes(b"\x89PNG not really")
    (tmp_path.parent / "secret.txt").write_text("outside the site")
    return tmp_path


def _get(url: str, path: str, gzip_ok: bool = True) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
    connection.request("GET", path, headers=headers)
    return connection.getresponse()


def test_pages_are_served_under_the_prefix_and_compressed(site):
    with SiteServer(site) as server:
        response = _get(server.url, "/course/index.html")
        assert response.status == 200 and response.getheader("Content-Encoding") == "gzip"
        assert gzip.decompress(response.read()).decode() == "<p>home</p>" * 50
        plain = _get(server.url, "/course/index.html", gzip_ok=False)
        assert plain.getheader("Content-Encoding") is None and plain.read().startswith(b"<p>")
        image = _get(server.url, "/course/figure.png")
        assert image.getheader("Content-Encoding") is None  # already compressed formats pass


def test_folders_redirect_and_missing_pages_get_the_404_page(site):
    with SiteServer(site) as server:
        redirect = _get(server.url, "/course/book")
        assert redirect.status == 301 and redirect.getheader("Location") == "/course/book/"
        home = _get(server.url, "/")  # the server's root, where a reader types the address
        assert home.status == 302 and home.getheader("Location") == "/course/"
        assert b"chapter" in gzip.decompress(_get(server.url, "/course/book/").read())
        for path in ("/course/nowhere.html", "/index.html", "/course/../secret.txt"):
            response = _get(server.url, path)
            assert response.status == 404, path
            assert b"lost" in gzip.decompress(response.read())


def test_bad_arguments_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="make book"):
        SiteServer(tmp_path)
    (tmp_path / "index.html").write_text("x")
    with pytest.raises(ValueError, match="prefix"):
        SiteServer(tmp_path, prefix="course")


@pytest.mark.parametrize("error", [BrokenPipeError, ConnectionResetError])
def test_a_browser_closing_the_connection_prints_nothing(site, capsys, error):
    with SiteServer(site) as server:
        try:
            raise error("the browser went away")
        except error:
            server.httpd.handle_error(None, ("127.0.0.1", 1))
    assert capsys.readouterr().err == ""


def test_other_errors_are_still_reported(site, capsys):
    with SiteServer(site) as server:
        try:
            raise ValueError("a bug in the handler")
        except ValueError:
            server.httpd.handle_error(None, ("127.0.0.1", 1))
    assert "a bug in the handler" in capsys.readouterr().err
