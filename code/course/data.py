"""Fetching the course's data sets and papers: by URL, checked by SHA-256, mirror first.

Every remote file is listed once, in ``registry.yml`` beside this module, under a key such as
``datasets/mnist/t10k-labels-idx1-ubyte.gz`` or ``papers/hopfield-1982.pdf``. :func:`fetch`
returns a local path to a verified copy:

1. ``COURSE_DATA_MIRROR`` may name a read-only folder laid out like the keys. A copy there with
   the right checksum is used in place; nothing is ever written there. A copy with the wrong
   checksum is reported and never used.
2. Otherwise the file is downloaded (with :mod:`pooch`) into the writable cache,
   ``COURSE_DATA_DIR`` or a per-user cache folder. A corrupt cached copy is deleted and fetched
   again; an interrupted or corrupt download leaves no file behind.

Anything derived from a fetched file (unzipped, decoded, converted to arrays) belongs under
:func:`derived_dir`, in the cache, never beside the original.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pooch
import yaml

MIRROR_VARIABLE = "COURSE_DATA_MIRROR"
CACHE_VARIABLE = "COURSE_DATA_DIR"
REGISTRY_FILE = "registry.yml"
DOWNLOAD_TIMEOUT_SECONDS = 60


class DataError(RuntimeError):
    """A data file could not be provided; the message says what to do."""


class DataUnavailableError(DataError):
    """No verified copy is available and the download failed (offline, say)."""


class ChecksumError(DataError):
    """A file's SHA-256 differs from the registry's."""


class UnknownDataKeyError(KeyError):
    """A key that is not in the registry; the message names the closest keys."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


@dataclass(frozen=True)
class RemoteFile:
    """One registry entry: a file the course uses, its URL, SHA-256 and size in bytes."""

    key: str
    url: str
    sha256: str
    size: int


@lru_cache(maxsize=1)
def registry() -> dict[str, RemoteFile]:
    """All remote files the course uses, by key."""
    text = (resources.files(__package__) / REGISTRY_FILE).read_text(encoding="utf-8")
    entries = yaml.safe_load(text)["files"]
    return {key: RemoteFile(key=key, **fields) for key, fields in entries.items()}


def entry(key: str) -> RemoteFile:
    """The registry entry for ``key``; an unknown key raises ``KeyError`` naming close matches."""
    files = registry()
    if not isinstance(key, str):
        raise TypeError(f"a data key is a string such as 'datasets/mnist/...', got {key!r}")
    if key not in files:
        close = difflib.get_close_matches(key, files, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownDataKeyError(
            f"{key!r} is not in the course's data registry ({REGISTRY_FILE}).{hint}"
        )
    return files[key]


def sha256sum(path: str | os.PathLike) -> str:
    """The SHA-256 of a file, as 64 hexadecimal digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mirror_dir() -> Path | None:
    """The read-only mirror named by ``COURSE_DATA_MIRROR``, or ``None`` when unset."""
    value = os.environ.get(MIRROR_VARIABLE, "").strip()
    return Path(value).expanduser().resolve() if value else None


def cache_dir() -> Path:
    """The writable cache: ``COURSE_DATA_DIR`` or a per-user cache folder, created if needed."""
    value = os.environ.get(CACHE_VARIABLE, "").strip()
    path = Path(value).expanduser() if value else Path(pooch.os_cache("ftt-course"))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(
            f"cannot create the data cache {path} ({error.strerror}); "
            f"set {CACHE_VARIABLE} to a folder you can write to"
        ) from error
    if not os.access(path, os.W_OK):
        raise DataError(
            f"the data cache {path} is not writable; "
            f"set {CACHE_VARIABLE} to a folder you can write to"
        )
    return path.resolve()


def derived_dir(name: str) -> Path:
    """A folder in the cache for files derived from fetched ones (``name``: e.g. ``'mnist'``)."""
    path = cache_dir() / "derived" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def _from_mirror(item: RemoteFile) -> tuple[Path | None, str | None]:
    """A verified mirror copy, or ``None`` and a note on why the mirror did not serve."""
    mirror = mirror_dir()
    if mirror is None:
        return None, None
    candidate = mirror / item.key
    if not candidate.is_file():
        return None, f"{MIRROR_VARIABLE}={mirror} has no {item.key}"
    actual = sha256sum(candidate)
    if actual == item.sha256:
        return candidate, None
    note = (
        f"the mirror copy {candidate} is corrupt (SHA-256 {actual}, expected {item.sha256}); "
        "it was not used. Replace it with a good copy."
    )
    warnings.warn(note, stacklevel=3)
    return None, note


def fetch(key: str) -> Path:
    """Return a local path to a verified copy of the registry file ``key``.

    Looks in the mirror first, then the cache, then downloads into the cache. Raises
    :class:`DataUnavailableError` (offline and no verified copy) or :class:`ChecksumError`
    (the download does not match), each saying which file, which URL and which variables.
    """
    item = entry(key)
    found, mirror_note = _from_mirror(item)
    if found is not None:
        return found
    target = cache_dir() / item.key
    if target.is_file():
        if sha256sum(target) == item.sha256:
            return target
        target.unlink()  # a corrupt cached copy is removed, then fetched again
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        pooch.retrieve(
            item.url,
            known_hash=f"sha256:{item.sha256}",
            fname=target.name,
            path=target.parent,
            downloader=pooch.HTTPDownloader(progressbar=False, timeout=DOWNLOAD_TIMEOUT_SECONDS),
        )
    except ValueError as error:  # pooch reports a checksum mismatch as ValueError
        raise ChecksumError(
            f"downloaded {item.key} from {item.url}, but its SHA-256 does not match the "
            f"registry's {item.sha256}; the download was discarded. The server may have "
            f"changed the file: use a verified copy through {MIRROR_VARIABLE}."
        ) from error
    except Exception as error:  # requests' connection errors, timeouts, HTTP errors
        hints = [
            f"no verified copy of {item.key} is available and downloading {item.url} failed "
            f"({type(error).__name__}: {error})."
        ]
        if mirror_note:
            hints.append(mirror_note + ".")
        hints.append(
            f"If you are offline, point {MIRROR_VARIABLE} at a folder holding {item.key} "
            f"(a copy of the course's shared/ folder), or put the file at {target}; "
            f"{CACHE_VARIABLE} chooses the cache folder."
        )
        raise DataUnavailableError(" ".join(hints)) from error
    return target


def fetch_all() -> list[Path]:
    """Fetch and verify every registry file; return their paths (registry order)."""
    return [fetch(key) for key in registry()]


def main(argv: list[str] | None = None) -> int:
    """``python -m course.data fetch``: every registry file into the cache (``COURSE_DATA_DIR``),
    laid out as a mirror is (``datasets/<name>/<file>``, ``papers/<file>``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course.data", description=main.__doc__)
    parser.add_argument("command", choices=["fetch"])
    parser.parse_args(argv)
    for path in fetch_all():
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
