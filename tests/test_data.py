"""The data layer: mirror first, verified cache, downloads that never leave partial files."""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from course import data
from course.data import (
    ChecksumError,
    DataError,
    DataUnavailableError,
    RemoteFile,
    UnknownDataKeyError,
    fetch,
)

PAYLOAD = b"The quick brown fox jumps over the lazy dog.\n" * 200
KEY = "datasets/demo/fox.txt"


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD at /good, other bytes at /bad, and half the body then a reset at /cut."""

    def do_GET(self) -> None:
        self.server.hits += 1
        body = b"not the file you want" if self.path == "/bad" else PAYLOAD
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path == "/cut":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.hits = 0
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: connections are refused


@pytest.fixture
def demo_registry(monkeypatch):
    """Replace the registry with one file whose URL each test chooses."""

    def use(url: str, sha256: str | None = None) -> RemoteFile:
        item = RemoteFile(KEY, url, sha256 or hashlib.sha256(PAYLOAD).hexdigest(), len(PAYLOAD))
        monkeypatch.setattr(data, "registry", lambda: {KEY: item})
        return item

    return use


def _files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def test_registry_lists_every_mirrored_file_with_a_sha256(mirror):
    files = data.registry()
    assert files, "the registry is empty"
    for key, item in files.items():
        assert len(item.sha256) == 64 and item.url.startswith("https://"), key
    datasets = mirror / "datasets"  # one folder per data set, beside the mirror's own README
    mirrored = [p for p in _files_under(datasets) if p.parent != datasets and p.name != "README"]
    mirrored += list((mirror / "papers").glob("*.pdf"))
    on_disk = {p.relative_to(mirror).as_posix() for p in mirrored}
    assert on_disk <= set(files), (
        f"mirrored files missing from the registry: {on_disk - set(files)}"
    )


def test_mirror_copy_is_used_in_place_and_nothing_is_written(
    isolated_data, tmp_path, monkeypatch, demo_registry
):
    item = demo_registry(f"http://127.0.0.1:{_closed_port()}/good")
    mirror = tmp_path / "mirror"
    (mirror / "datasets" / "demo").mkdir(parents=True)
    (mirror / KEY).write_bytes(PAYLOAD)
    for path in [mirror / KEY, *mirror.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    before = {p: p.stat().st_mtime_ns for p in mirror.rglob("*")}
    assert fetch(item.key) == mirror / KEY
    assert {p: p.stat().st_mtime_ns for p in mirror.rglob("*")} == before
    assert not isolated_data.exists() or not _files_under(isolated_data)


def test_download_goes_to_the_cache_and_is_reused(isolated_data, server, demo_registry):
    demo_registry(f"http://127.0.0.1:{server.server_port}/good")
    path = fetch(KEY)
    assert path == isolated_data.resolve() / KEY and path.read_bytes() == PAYLOAD
    fetch(KEY)
    assert server.hits == 1, "a verified cached copy must not be downloaded again"


def test_corrupt_mirror_copy_is_reported_and_never_used(
    isolated_data, tmp_path, monkeypatch, server, demo_registry
):
    demo_registry(f"http://127.0.0.1:{server.server_port}/good")
    mirror = tmp_path / "mirror"
    (mirror / "datasets" / "demo").mkdir(parents=True)
    (mirror / KEY).write_bytes(PAYLOAD[:-1] + b"!")
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.warns(UserWarning, match="corrupt"):
        path = fetch(KEY)
    assert path != mirror / KEY and path.read_bytes() == PAYLOAD
    assert (mirror / KEY).read_bytes() != PAYLOAD, "the mirror must never be repaired or written"


def test_corrupt_cached_copy_is_removed_and_fetched_again(isolated_data, server, demo_registry):
    demo_registry(f"http://127.0.0.1:{server.server_port}/good")
    cached = isolated_data / KEY
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"garbage")
    assert fetch(KEY).read_bytes() == PAYLOAD
    assert server.hits == 1


def test_offline_without_mirror_says_what_to_do(isolated_data, demo_registry):
    url = f"http://127.0.0.1:{_closed_port()}/good"
    demo_registry(url)
    with pytest.raises(DataUnavailableError) as caught:
        fetch(KEY)
    message = str(caught.value)
    for needed in (KEY, url, "COURSE_DATA_MIRROR", "COURSE_DATA_DIR"):
        assert needed in message
    assert not _files_under(isolated_data), "a failed download must leave nothing behind"


def test_download_with_wrong_checksum_is_refused_and_removed(isolated_data, server, demo_registry):
    demo_registry(f"http://127.0.0.1:{server.server_port}/bad")
    with pytest.raises(ChecksumError, match=KEY):
        fetch(KEY)
    assert not _files_under(isolated_data)


def test_interrupted_download_leaves_no_partial_file(isolated_data, server, demo_registry):
    demo_registry(f"http://127.0.0.1:{server.server_port}/cut")
    with pytest.raises(DataError):
        fetch(KEY)
    assert not _files_under(isolated_data)


def test_unknown_key_names_the_closest_keys():
    with pytest.raises(UnknownDataKeyError, match="Did you mean datasets/mnist/t10k-labels"):
        fetch("datasets/mnist/t10k-label-idx1-ubyte.gz")
    with pytest.raises(TypeError):
        fetch(42)


def test_unwritable_cache_is_a_clear_error(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    (locked / "cache").mkdir(parents=True)
    (locked / "cache").chmod(0o500)
    if os.geteuid() == 0:  # root may write anywhere: the access check answers as for a user
        monkeypatch.setattr(data.os, "access", lambda path, mode: False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(locked / "cache"))
    with pytest.raises(DataError, match="not writable.*COURSE_DATA_DIR"):
        data.cache_dir()


def test_cache_that_is_a_file_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("COURSE_DATA_DIR", str(blocker / "cache"))
    with pytest.raises(DataError, match="COURSE_DATA_DIR"):
        data.cache_dir()


def test_real_registry_files_verify_against_the_mirror(mirror, isolated_data, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    for key in data.registry():
        path = fetch(key)
        assert path.is_relative_to(mirror.resolve()) and path.stat().st_size == data.entry(key).size


def test_fetch_all_verifies_every_registry_file(mirror, isolated_data, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    paths = data.fetch_all()
    assert [p.stat().st_size for p in paths] == [data.entry(k).size for k in data.registry()]
    with pytest.raises(SystemExit):
        data.main(["no-such-command"])
