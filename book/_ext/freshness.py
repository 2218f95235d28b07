"""Keep executed chapters in step with the course package they import.

jupyter-cache keys an executed notebook by its code cells alone, so editing a function in
``code/course`` would leave pages showing the old code's results. This module gives each
chapter a *dependency hash*: the contents of every ``course`` module the chapter imports,
followed through the package's own imports, plus the package's data files. Each cache record
is stamped with the hash it was executed under (``course-deps.json`` in the cache folder); a
record whose stamp differs from the chapter's current hash is stale and is removed, so the
chapter runs again. Prose-only edits change neither the code cells nor the hash.

It is used by the Sphinx extension ``course_book`` and, through :func:`import_executed`, by
``make test``, which executes each chapter once with nbmake and stores the result in the cache
so that the book build reuses it instead of executing the chapter a second time.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import json
import os
import platform
import re
import shutil
from datetime import datetime
from importlib.metadata import version as _version
from pathlib import Path

import layout
import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from myst_nb.core.read import read_myst_markdown_notebook

PACKAGE = "course"
PACKAGE_DIR = layout.PACKAGE_DIR
STAMP_FILE = "course-deps.json"
HASHKEY_FILE = "course-hashkeys.json"  # chapter text -> myst-nb's cache key (notebook_hashkey)
HASHKEY_VERSIONS = f"myst-nb {_version('myst-nb')}, jupyter-cache {_version('jupyter-cache')}\n"
# Files a chapter writes for its page to offer as downloads go to _generated/<chapter>/ beside
# it (course.embedding_export.book_output_dir). A cached execution carries its own copy of them.
SIDE_FILES = "course-files"  # inside the cache folder: <record hashkey>/<files>
# The environment of every kernel that executes a chapter for the book, whoever starts it
# (notebooks.py execute, or myst-nb through the book's extension): one thread each, idle
# threads asleep rather than spinning, no progress bars, hashing seeded, files for the site
# written as files. A chapter's numbers do not depend on how many chapters run at once.
EXECUTION_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OMP_WAIT_POLICY": "PASSIVE",
    "COURSE_PROGRESS": "0",
    "PYTHONHASHSEED": "0",
    "COURSE_BOOK_BUILD": "1",  # course.plotting.building_book: publish files for the site
}
# On x86-64, PyTorch's own kernels (ATEN_CPU_CAPABILITY) and oneDNN's (its recurrent layers and
# convolutions) are held to AVX2, so that a machine with AVX-512 computes the numbers one without
# it does. Without the cap, a host with AVX-512 fine-tuned the encoders chapter's model along
# another path and one of its claims no longer held; with it, every value that is not a timing
# came out on that host as on the machine that made the committed ones in 14 of the 17 chapters (the
# sentence CNN still differed, by up to 0.7 points of accuracy, and embeddings and prereq-linear
# in their last digits; their claims held on both). MKL is left alone: its reproducibility mode
# (MKL_CBWR=AVX2) made the recurrent translators, the attention ablations, hopfield and
# autoencoders come out differently instead.
if platform.machine().lower() in ("x86_64", "amd64"):
    EXECUTION_ENV.update(ATEN_CPU_CAPABILITY="avx2", ONEDNN_MAX_CPU_ISA="AVX2")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
PARSED_DIR = layout.REPO_ROOT / "_build" / ".parsed-chapters"  # <digest>.json: read_chapter's
PARSER_VERSION = f"myst-nb {_version('myst-nb')}, myst-parser {_version('myst-parser')}"
PARSED_KEPT = 100  # parsed texts kept: a few per chapter, the newest


# ---------------------------------------------------------------------------------------
# Which course modules a chapter depends on
# ---------------------------------------------------------------------------------------


def is_notebook_source(path: Path) -> bool:
    """Whether ``path`` is an executable chapter: MyST markdown whose front matter declares
    the Jupytext ``myst`` format and a kernel (what myst-nb requires to execute it)."""
    if path.suffix != ".md" or not path.is_file():
        return False
    return _declares_a_notebook(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=128)
def _declares_a_notebook(text: str) -> bool:
    match = _FRONT_MATTER.match(text)
    if not match:
        return False
    front = yaml.safe_load(match.group(1)) or {}
    representation = (front.get("jupytext") or {}).get("text_representation") or {}
    return "kernelspec" in front and representation.get("format_name") == "myst"


def read_chapter(path: Path) -> nbformat.NotebookNode:
    """Read a MyST markdown chapter into a notebook, exactly as myst-nb does in the build."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return copy.deepcopy(_read_text(text, str(path)))


@functools.lru_cache(maxsize=64)
def _read_text(text: str, path: str) -> nbformat.NotebookNode:
    # Every build reads every chapter in three processes (execute, Sphinx, generate), about
    # 0.5 s for the 17 chapters in each; parsing is the slow part, so its result is kept on
    # disk, by the text, the path and the parser's version.
    digest = hashlib.sha256(f"{PARSER_VERSION}\0{path}\0{text}".encode()).hexdigest()[:32]
    stored = PARSED_DIR / f"{digest}.json"
    try:
        return nbformat.from_dict(json.loads(stored.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    nb = read_myst_markdown_notebook(text, path=Path(path))
    try:
        PARSED_DIR.mkdir(parents=True, exist_ok=True)
        layout.write_atomically(stored, json.dumps(nb))
        kept = sorted(PARSED_DIR.glob("*.json"), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in kept[PARSED_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError:  # a read-only checkout parses every time
        pass
    return nb


def _module_file(name: str, package_dir: Path) -> Path | None:
    parts = name.split(".")[1:]
    base = package_dir.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _resolve_relative(module: str | None, level: int, current: str, is_package: bool) -> str:
    """The absolute name of ``from <level dots><module> import ...`` inside module ``current``."""
    parts = current.split(".") if is_package else current.split(".")[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def _imports_in(
    source: str, current: str | None = None, is_package: bool = False, package: str = PACKAGE
) -> set[str]:
    """Names of ``package`` modules (or attributes) imported by ``source``.

    ``current`` is the dotted name of the module ``source`` belongs to (for relative imports).
    """
    return set(_imports_cached(source, current, is_package, package))


@functools.lru_cache(maxsize=1024)
def _imports_cached(
    source: str, current: str | None, is_package: bool, package: str
) -> frozenset[str]:
    # every chapter's closure parses the same library modules again: parse each text once
    # drop IPython magics and shell escapes, which are not Python syntax
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == package)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level and current:
                module = _resolve_relative(node.module, node.level, current, is_package)
            if module.split(".")[0] != package:
                continue
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)  # submodules imported by name
    return frozenset(found)


def module_closure(names: set[str], package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """The files of the ``course`` modules in ``names`` and of everything they import, in turn."""
    files: dict[str, Path] = {}
    package = package_dir.name
    todo = list(names) + ([package] if names else [])
    while todo:
        name = todo.pop()
        if name in files:
            continue
        path = _module_file(name, package_dir)
        if path is None:  # an attribute, not a module
            continue
        files[name] = path
        # a submodule import runs every parent package's __init__ first
        parents = [".".join(name.split(".")[:i]) for i in range(1, len(name.split(".")))]
        todo.extend(parents)
        source = path.read_text(encoding="utf-8")
        todo.extend(_imports_in(source, name, path.name == "__init__.py", package))
    return files


def _files_signature(chapter: Path, package_dir: Path) -> str:
    """The size and modification time of the chapter and of every package file."""
    files = [Path(chapter)] + sorted(
        p
        for p in package_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
    )
    stats = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return hashlib.sha256(repr(stats).encode()).hexdigest()


def size_setting() -> str:
    """The chapter size a kernel started now would run at, as far as it can be told without
    importing PyTorch (which would cost a no-change build a second or more): ``COURSE_SIZE``
    when it names a size, else whether an NVIDIA GPU is visible (``course.device.chapter_size``
    picks the full size on CUDA). A change of either executes the chapters again."""
    value = os.environ.get("COURSE_SIZE", "auto").strip().lower() or "auto"
    if value != "auto":
        return value
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES") in {"", "-1"}
    gpu = not hidden and Path("/proc/driver/nvidia/version").exists()
    return "auto-gpu" if gpu else "auto-no-gpu"


def dependency_hash(chapter: Path, package_dir: Path = PACKAGE_DIR) -> str:
    """Hash of the course code a chapter runs, its imported modules and the package data, and
    of the chapter size it runs at (:func:`size_setting`).

    Memoised on disk (beside the package, in ``__pycache__``) by the size and modification
    time of the chapter and of every package file, so that the several processes of one
    build do not parse the same sources again; any edit changes a modification time.
    """
    memo_path = package_dir / "__pycache__" / "course-deps-memo.json"
    signature = _files_signature(chapter, package_dir)
    memo = layout.read_json(memo_path)
    key = str(Path(chapter).resolve())
    if memo.get(key, {}).get("signature") == signature:
        return _with_size(memo[key]["hash"])
    value = _dependency_hash(chapter, package_dir)
    memo[key] = {"signature": signature, "hash": value}
    try:
        memo_path.parent.mkdir(exist_ok=True)
        layout.write_atomically(memo_path, json.dumps(memo))
    except OSError:
        pass  # a read-only package: no memo, the same answer
    return _with_size(value)


def _with_size(code_hash: str) -> str:
    return hashlib.sha256(f"{code_hash}\0size={size_setting()}".encode()).hexdigest()


def _dependency_hash(chapter: Path, package_dir: Path) -> str:
    nb = read_chapter(chapter)
    names: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            names |= _imports_in(cell.source, package=package_dir.name)
    digest = hashlib.sha256()
    if names:
        files = set(module_closure(names, package_dir).values())
        files |= {
            p
            for p in package_dir.rglob("*")
            if p.is_file()
            and p.suffix not in {".py", ".pyc"}
            and "__pycache__" not in p.parts
            and not p.name.startswith(".")
        }
        for path in sorted(files):
            digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------
# Stamps on cache records
# ---------------------------------------------------------------------------------------


def _stamp_path(cache_path: Path) -> Path:
    return Path(cache_path) / STAMP_FILE


def load_stamps(cache_path: Path) -> dict[str, str]:
    """Record hashkey -> dependency hash it was executed under."""
    return layout.read_json(_stamp_path(cache_path))  # none or unreadable: every record is stale


def save_stamps(cache_path: Path, stamps: dict[str, str]) -> None:
    """Write the stamps atomically."""
    path = _stamp_path(cache_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_json(path, stamps)


def notebook_hashkey(cache, source: Path) -> str:
    """The key under which myst-nb caches ``source``'s execution: the hash of its code cells.

    Computing it means parsing the chapter, which a build that reads no chapter would do only
    for this; so the key is kept beside the cache, by the chapter's text (and the versions of
    the parser and the cache, which define it).
    """
    text = Path(source).read_text(encoding="utf-8")
    memo_path = Path(cache.path) / HASHKEY_FILE
    memo = layout.read_json(memo_path)
    text_key = hashlib.sha256((HASHKEY_VERSIONS + text).encode("utf-8")).hexdigest()
    if text_key not in memo:
        memo = {**memo, text_key: cache.create_hashed_notebook(_read_text(text, str(source)))[1]}
        _write_json(memo_path, memo)
    return memo[text_key]


def _write_json(path: Path, data: dict) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def matching_record(cache, source: Path):
    """The record myst-nb will use for ``source``, or None.

    myst-nb looks a chapter up by the hash of its code cells alone, wherever the cache was
    made, so this is the record to check, even when the cache was made at another path.
    """
    key = notebook_hashkey(cache, source)
    return next((r for r in cache.list_cache_records() if r.hashkey == key), None)


def records_for(cache, source: Path) -> list:
    """The cache records of ``source``: those made from its path, and the one its code
    cells match (made from any path: a cache restored into another checkout, say)."""
    source = source.resolve()
    records = {r.pk: r for r in cache.list_cache_records() if Path(r.uri).resolve() == source}
    match = matching_record(cache, source)
    if match is not None:
        records[match.pk] = match
    return [records[pk] for pk in sorted(records)]


def drop_stale_records(cache_path: Path, source: Path, deps: str) -> bool:
    """Remove the records of ``source`` not stamped with ``deps``, or that lack their download
    files (:func:`save_side_files`); True if any was removed."""
    cache = get_cache(str(cache_path))
    stamps = load_stamps(cache_path)
    removed: set[str] = set()
    for record in records_for(cache, source):
        fresh = stamps.get(record.hashkey) == deps and has_side_files(cache_path, record.hashkey)
        if not fresh:
            cache.remove_cache(record.pk)
            stamps.pop(record.hashkey, None)
            removed.add(record.hashkey)
    if removed:
        save_stamps(cache_path, stamps)
        forget_side_files(cache_path, removed)
    return bool(removed)


def is_fresh(cache_path: Path, source: Path, package_dir: Path = PACKAGE_DIR) -> bool:
    """Whether the build would show a cached execution of ``source`` without executing it:
    a record matches its code cells, stamped with its current dependency hash, with its
    download files."""
    cache_path = Path(cache_path)
    if not cache_path.is_dir():
        return False
    match = matching_record(get_cache(str(cache_path)), source)
    return (
        match is not None
        and load_stamps(cache_path).get(match.hashkey) == dependency_hash(source, package_dir)
        and has_side_files(cache_path, match.hashkey)
    )


def last_execution_seconds(cache_path: Path) -> dict[str, float]:
    """Chapter file name -> seconds of its newest cached execution (for scheduling)."""
    cache_path = Path(cache_path)
    if not cache_path.is_dir():
        return {}
    found: dict[str, tuple] = {}
    for record in get_cache(str(cache_path)).list_cache_records():
        seconds = (record.data or {}).get("execution_seconds")
        key = Path(record.uri).name
        if seconds is not None and (key not in found or record.created > found[key][0]):
            found[key] = (record.created, float(seconds))
    return {key: seconds for key, (_, seconds) in found.items()}


def stamp_new_records(cache_path: Path, source: Path, deps: str) -> list[int]:
    """Stamp the unstamped records of ``source`` (executed in this build) with ``deps`` and
    keep the download files that execution wrote.

    Returns the primary keys of all of ``source``'s records.
    """
    cache = get_cache(str(cache_path))
    stamps = load_stamps(cache_path)
    records = records_for(cache, source)
    changed = False
    for record in records:
        if record.hashkey not in stamps:
            save_side_files(cache_path, record.hashkey, source)
            stamps[record.hashkey] = deps
            changed = True
    if changed:
        save_stamps(cache_path, stamps)
    return sorted(r.pk for r in records)


# ---------------------------------------------------------------------------------------
# Files a chapter writes for download, kept with the execution that wrote them
# ---------------------------------------------------------------------------------------


def generated_dir(source: Path) -> Path:
    """The folder where chapter ``source`` writes its download files."""
    source = Path(source)
    return source.parent / "_generated" / source.stem


def _side_files_path(cache_path: Path, hashkey: str) -> Path:
    return Path(cache_path) / SIDE_FILES / hashkey


def save_side_files(
    cache_path: Path, hashkey: str, source: Path
) -> None:
    """Keep the chapter's download files (none is fine) with record ``hashkey``."""
    target = _side_files_path(cache_path, hashkey)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    folder = generated_dir(source)
    if folder.is_dir():
        shutil.copytree(folder, partial)
    else:
        partial.mkdir(parents=True)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)


def has_side_files(cache_path: Path, hashkey: str) -> bool:
    """Whether record ``hashkey`` carries its download files (made by this version)."""
    return _side_files_path(cache_path, hashkey).is_dir()


def restore_side_files(
    cache_path: Path, hashkey: str, source: Path
) -> None:
    """Put the download files of record ``hashkey`` where the chapter's page links them."""
    kept = _side_files_path(cache_path, hashkey)
    folder = generated_dir(source)
    if _tree_bytes(folder) == _tree_bytes(kept):
        return  # left alone, so Sphinx sees no changed download and re-reads nothing
    shutil.rmtree(folder, ignore_errors=True)
    if any(kept.iterdir()):
        shutil.copytree(kept, folder)  # copies keep their times: when they were written


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def clear_side_files(source: Path) -> None:
    """Remove the chapter's download files before it executes, so it keeps only its own."""
    shutil.rmtree(generated_dir(source), ignore_errors=True)


def forget_side_files(cache_path: Path, hashkeys: set[str]) -> None:
    """Delete the kept download files of records that are gone."""
    for hashkey in hashkeys:
        shutil.rmtree(_side_files_path(cache_path, hashkey), ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Storing a notebook executed elsewhere (nbmake) as the chapter's cached execution
# ---------------------------------------------------------------------------------------


def _execution_seconds(nb: nbformat.NotebookNode) -> float | None:
    """Wall time from the first cell's request to the last cell's reply (nbclient's timings)."""
    starts, ends = [], []
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            starts.append(
                datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            )
            ends.append(
                datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            )
    if not starts:
        return None
    return (max(ends) - min(starts)).total_seconds()


def merge_outputs(
    chapter: Path, executed: nbformat.NotebookNode, skip: int
) -> nbformat.NotebookNode:
    """The chapter as myst-nb reads it, with outputs taken from ``executed``.

    ``executed`` is the student notebook generated from the chapter: the same code cells,
    preceded by ``skip`` set-up cells. A mismatch in code raises ``ValueError``.
    """
    nb = read_chapter(chapter)
    ours = [c for c in nb.cells if c.cell_type == "code"]
    theirs = [c for c in executed.cells if c.cell_type == "code"][skip:]
    if [c.source for c in ours] != [c.source for c in theirs]:
        raise ValueError(f"{executed_name(chapter)} does not hold {chapter}'s code; regenerate it")
    for count, (mine, done) in enumerate(zip(ours, theirs, strict=True), start=1):
        mine.outputs = done.outputs
        mine.execution_count = count
        for output in mine.outputs:
            if "execution_count" in output:
                output["execution_count"] = count
    return nb


def executed_name(chapter: Path) -> str:
    """File name of a chapter's student notebook."""
    return chapter.with_suffix(".ipynb").name


def import_executed(
    chapter: Path,
    executed_path: Path,
    cache_path: Path,
    skip: int = 1,
    package_dir: Path = PACKAGE_DIR,
) -> int:
    """Cache an executed student notebook as ``chapter``'s execution; return the record's pk."""
    executed = nbformat.read(executed_path, as_version=4)
    errors = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    if errors:
        raise ValueError(f"{executed_path} holds an error output; it must not be cached")
    nb = merge_outputs(chapter, executed, skip)
    cache = get_cache(str(cache_path))
    deps = dependency_hash(chapter, package_dir)
    drop_stale_records(cache_path, chapter, deps)
    record = cache.cache_notebook_bundle(
        CacheBundleIn(
            nb,
            str(chapter.resolve()),
            data={"execution_seconds": _execution_seconds(executed), "executed_by": "nbmake"},
        ),
        check_validity=False,
        overwrite=True,
    )
    save_side_files(cache_path, record.hashkey, chapter)
    stamps = load_stamps(cache_path)
    stamps[record.hashkey] = deps
    save_stamps(cache_path, stamps)
    return record.pk
