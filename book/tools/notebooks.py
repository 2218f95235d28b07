"""Student notebooks: generate them from the chapters, check them, and cache their execution.

    python book/tools/notebooks.py generate      # write book/<chapter>.ipynb
    python book/tools/notebooks.py generate --build DIR   # glued values from that build too
    python book/tools/notebooks.py generate --allow-missing  # "…" for values never built
    python book/tools/notebooks.py check         # fail if any is missing or out of date
    python book/tools/notebooks.py import DIR    # cache executed copies in DIR for the build
    python book/tools/notebooks.py execute       # execute the chapters whose cache is stale
    python book/tools/notebooks.py execute --all # execute every chapter (make test)
    python book/tools/notebooks.py record-seconds  # commit the chapters' times, for ordering

The chapters (``book/*.md``) are the only sources. Each generated notebook holds the chapter's
cells, preceded by one set-up cell that installs the course package when it is missing
(Colab) and one markdown cell defining the book's TeX macros, and is never edited by hand.

``execute`` is how both ``make book`` and ``make test`` run chapters: each as its student
notebook in a fresh kernel (pytest with nbmake), two at a time by default, each kernel limited
to one thread so that they do not fight over the cores and so that a chapter computes the same
numbers however many run beside it (``freshness.EXECUTION_ENV``). The outputs are then stored in the
execution cache, which the book build shows without executing anything again.

The markdown cells are plain Jupyter Markdown (``plain_markdown``), so that a student on Colab
reads what the page shows. Glued values (``{glue:text}``) are the one part that needs a build:

- ``generate`` takes each value from the newest build that holds the chapter's glue file
  (``_build/jupyter_execute/book/<chapter>.glue.json`` of ``make book``, or the folder of
  ``pagebook.py``'s build, ``_build/pages/<chapter>/_build``; ``--build DIR`` names others),
  else carries over the value stored in the committed notebook (its metadata
  ``course.glued``, the raw text/plain of every key it pastes); a key in neither fails with
  a message to run ``make book`` (``--allow-missing`` writes a placeholder instead, for a
  branch whose chapters were not all built; ``check`` notes them). ``make book`` regenerates
  the notebooks after its build, so an author's build refreshes the values.
- ``check`` (and the tests) need no build: they compare the committed notebook with the one
  generated from the chapter with the glued values masked (the span contents and
  ``course.glued``); a pasted key the committed notebook has no value for is noted, not
  failed (values are the build's business).
- ``execute`` writes notebooks for nbmake before any build: a value it does not know is a
  placeholder (markdown does not affect execution, and the cache takes code cells only).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))  # the build's modules

import layout
import nbformat
import plain_markdown
import yaml
from layout import REPO_ROOT

import freshness

SETUP_CELLS = 1
CACHE = REPO_ROOT / "_build" / ".jupyter_cache"
EXECUTED = REPO_ROOT / ".executed"  # nbmake skips any path through a folder named _build
BUILD = REPO_ROOT / "_build"  # make book's build folder; pagebook.py builds in BUILD/pages/<name>
NOTEBOOK_KEYS = BUILD / ".notebook-keys.json"  # the key each written notebook was made from
# each chapter's execution time on a 2-core machine (notebooks.py record-seconds): a fresh
# clone has no cache of its own, and runs its chapters longest first by these
EXPECTED_SECONDS = Path(__file__).with_name("chapter-seconds.json")
GLUED_SPAN = re.compile(r'(<span class="glued"[^>]*>)(.*?)(</span>)', re.S)
INSTALL_TEMPLATE = """\
# Colab and other fresh environments: install the course package when it is missing.
# Where it is already installed (your own machine, Binder), only the thread setting acts:
# idle PyTorch threads sleep instead of spinning on a shared CPU (set before PyTorch loads).
import importlib.util
import os
import subprocess
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if importlib.util.find_spec("course") is None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet",
         "course @ git+{repository}@{branch}#subdirectory=code"],
        check=True,
    )"""


def book_config() -> dict:
    """The book's ``_config.yml`` (read once per version of the file; do not change it)."""
    return _parsed_config(layout.CONFIG_FILE.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=2)
def _parsed_config(text: str) -> dict:
    return yaml.safe_load(text)


def chapters() -> list[Path]:
    """The executable chapters named in ``_toc.yml``, in reading order."""
    sources = [chapter.source() for chapter in layout.read_toc()]
    return [path for path in sources if freshness.is_notebook_source(path)]


class MissingGlueError(ValueError):
    """A chapter pastes values that neither a build nor its committed notebook holds."""


@functools.lru_cache(maxsize=1)
def book_index() -> plain_markdown.Book:
    """The whole book's labels, numbers and bibliography, from the sources (no build)."""
    import pybtex.database

    config = book_config()
    tex = config["sphinx"]["config"].get("mathjax3_config", {}).get("tex", {})
    book = plain_markdown.Book(
        baseurl=config["html"]["baseurl"],
        repository=config["repository"]["url"],
        branch=config["repository"]["branch"],
        macros=dict(tex.get("macros", {})),
    )
    for page in layout.read_toc():
        path = page.source()
        if freshness.is_notebook_source(path):
            nb = freshness.read_chapter(path)
            text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
            plain_markdown.index_page(book, page.docname, text, nb.cells)
        elif path.is_file():
            plain_markdown.index_page(book, page.docname, path.read_text(encoding="utf-8"))
    entries = pybtex.database.BibliographyData()
    for bibfile in config.get("bibtex_bibfiles", []):
        for key, entry in pybtex.database.parse_file(REPO_ROOT / bibfile).entries.items():
            entries.add_entry(key, entry)
    book.bibliography = entries
    return book


def docname(chapter: Path) -> str:
    return chapter.resolve().relative_to(REPO_ROOT).with_suffix("").as_posix()


def build_folders(chapter: Path) -> list[Path]:
    """The build folders that may hold ``chapter``'s glue file: the book's and its page's."""
    return [BUILD, BUILD / "pages" / chapter.stem / "_build"]


def built_glue(chapter: Path, builds: list[Path] | None = None) -> dict[str, str]:
    """The glued values (raw text/plain) of the newest build of ``chapter``, {} if none."""
    files = [layout.glue_file(b, docname(chapter)) for b in builds or build_folders(chapter)]
    found = [f for f in files if f.is_file()]
    if not found:
        return {}
    glued = json.loads(max(found, key=lambda f: f.stat().st_mtime).read_text(encoding="utf-8"))
    return {key: out["data"]["text/plain"] for key, out in glued.items()
            if "text/plain" in out.get("data", {})}  # fmt: skip


def committed_glue(chapter: Path) -> dict[str, str]:
    """The glued values stored in ``chapter``'s committed notebook, {} if none."""
    path = notebook_path(chapter)
    if not path.is_file():
        return {}
    metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    return dict(metadata.get("course", {}).get("glued", {}))


def student_notebook(
    chapter: Path, values: dict[str, str] | None = None, strict: bool = False
) -> str:
    """The text of ``chapter``'s student notebook (deterministic, so it can be checked).

    ``values`` are the glued values to show (raw text/plain by key); one the chapter pastes
    but ``values`` lacks raises ``MissingGlueError`` when ``strict``, else shows a placeholder.
    """
    values = {} if values is None else values
    repository = book_config()["repository"]
    source = freshness.read_chapter(chapter)
    book = book_index()
    used: dict[str, str] = {}
    missing: set[str] = set()

    def glue(key: str) -> str | None:
        if key in values:
            used[key] = values[key]
            return values[key]
        missing.add(key)
        return None

    converter = plain_markdown.Converter(book, chapter.resolve(), REPO_ROOT, glue)
    install = INSTALL_TEMPLATE.format(repository=repository["url"], branch=repository["branch"])
    cells = [nbformat.v4.new_code_cell(install)]
    macros = plain_markdown.macros_cell(book.macros)
    if macros:
        cells.append(nbformat.v4.new_markdown_cell(macros))
    for cell in source.cells:
        if cell.cell_type == "code":
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata)))
            caption = converter.figure_caption(cell)
            if caption:
                cells.append(nbformat.v4.new_markdown_cell(caption))
        elif cell.cell_type == "markdown":
            text = converter.markdown(cell.source)
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text, metadata=dict(cell.metadata)))
        else:
            cells.append(nbformat.v4.new_raw_cell(cell.source, metadata=dict(cell.metadata)))
    if strict and missing:
        raise MissingGlueError(
            f"{chapter.name} pastes {len(missing)} value(s) that no build and not the committed "
            f"notebook holds ({', '.join(sorted(missing)[:5])}...): run `make book` (or "
            f"`python book/tools/pagebook.py {chapter.relative_to(REPO_ROOT)}`), then "
            "`make notebooks`"
        )
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index:03d}"
    nb = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": dict(source.metadata["kernelspec"]),
            "language_info": {"name": "python"},
            "course": {
                "generated_from": chapter.relative_to(REPO_ROOT).as_posix(),
                "note": "Generated by book/tools/notebooks.py; edit the .md, not this file.",
                "glued": dict(sorted(used.items())),
            },
        },
    )
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def notebook_inputs(chapter: Path) -> list[Path]:
    """Every file besides the book's pages that ``chapter``'s student notebook is made from:
    the course code it includes, the bibliography, the configuration and the generator."""
    code = sorted(layout.PACKAGE_DIR.rglob("*.py"))
    bib = [REPO_ROOT / f for f in book_config().get("bibtex_bibfiles", [])]
    tools = [Path(__file__), Path(plain_markdown.__file__), layout.CONFIG_FILE, layout.TOC_FILE]
    return [chapter, *code, *bib, *tools]


def index_digest(book: plain_markdown.Book) -> str:
    """A digest of what conversion reads from the whole book (labels, numbers, site, macros):
    an edit of a page that changes none of them leaves the other chapters' notebooks as they
    are."""
    parts = (book.baseurl, book.repository, book.branch, sorted(book.macros.items()),
             book.targets, book.figures, book.proofs, book.equations, book.exercises,
             book.bibliography_page)  # the bibliography itself is a file of notebook_inputs
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def notebook_key(chapter: Path, values: dict[str, str]) -> str:
    """The content key of ``chapter``'s student notebook shown with glued ``values``: equal keys
    mean equal notebooks (every input is in it, by content, not by time or path)."""
    digest = hashlib.sha256(index_digest(book_index()).encode())
    for path in notebook_inputs(chapter):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"(none)")
    digest.update(json.dumps(values, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def _text_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _memory_name(notebook: Path) -> str:
    notebook = notebook.resolve()
    return (notebook.relative_to(REPO_ROOT).as_posix() if notebook.is_relative_to(REPO_ROOT)
            else str(notebook))


def is_current(notebook: Path, key: str) -> bool:
    """Whether ``notebook`` is what generating it for ``key`` (``notebook_key``) would write:
    the key remembered for it matches, and so does its text (an edit or a checkout of the
    notebook makes it stale)."""
    if not notebook.is_file():
        return False
    known = layout.read_json(NOTEBOOK_KEYS).get(_memory_name(notebook))
    return known == [key, _text_digest(notebook)]


def remember(notebook: Path, key: str) -> None:
    """Record that ``notebook`` was written for ``key`` (see ``is_current``). A notebook that
    shows a placeholder is never recorded: a later build may fill it in."""
    keys = {name: known for name, known in layout.read_json(NOTEBOOK_KEYS).items()
            if (REPO_ROOT / name).is_file()}
    name = _memory_name(notebook)
    if f"{plain_markdown.PLACEHOLDER}</span>" in notebook.read_text(encoding="utf-8"):
        keys.pop(name, None)
    else:
        keys[name] = [key, _text_digest(notebook)]
    NOTEBOOK_KEYS.parent.mkdir(parents=True, exist_ok=True)
    layout.write_atomically(NOTEBOOK_KEYS, json.dumps(keys, indent=0, sort_keys=True))


def masked(text: str) -> str:
    """A student notebook's text with the build-dependent parts (glued values) masked."""
    nb = nbformat.reads(text, as_version=4)
    nb.metadata.get("course", {}).pop("glued", None)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = GLUED_SPAN.sub(rf"\1{plain_markdown.PLACEHOLDER}\3", cell.source)
    return nbformat.writes(nb)


def notebook_path(chapter: Path) -> Path:
    """Where ``chapter``'s student notebook lives: beside it, with the same name, where
    sphinx-book-theme's Colab and Binder buttons look for a chapter's ``.ipynb``."""
    return chapter.with_name(freshness.executed_name(chapter))


def committed_notebooks() -> set[Path]:
    """The student notebooks in the chapters' folders."""
    return {path for chapter in chapters() for path in chapter.parent.glob("*.ipynb")}


def generate(builds: list[Path] | None = None, allow_missing: bool = False) -> list[Path]:
    """Write every student notebook and delete those whose chapter is gone. Glued values come
    from the newest build of each chapter (``builds``, else ``build_folders``), else from the
    committed notebook; ``MissingGlueError`` if neither has one, unless ``allow_missing``
    (then the value is a placeholder, which ``unbuilt_values`` reports)."""
    written, expected, missing = [], set(), []
    for chapter in chapters():
        path = notebook_path(chapter)
        expected.add(path)
        values = committed_glue(chapter) | built_glue(chapter, builds)
        key = notebook_key(chapter, values)
        if is_current(path, key):  # a rebuild without changes writes nothing
            written.append(path)
            continue
        try:
            text = student_notebook(chapter, values, strict=not allow_missing)
        except MissingGlueError as error:  # the others are still written
            missing.append(str(error))
            continue
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        remember(path, key)
        written.append(path)
    for stale in committed_notebooks() - expected:
        stale.unlink()
    if missing:
        raise MissingGlueError("\n".join(missing))
    return written


def out_of_date() -> list[str]:
    """Problems with the committed student notebooks (empty when all are in sync), glued
    values masked: no build is needed."""
    problems = []
    expected = {notebook_path(c): c for c in chapters()}
    for path, chapter in expected.items():
        name = path.relative_to(REPO_ROOT)
        if not path.is_file():
            problems.append(f"{name} is missing")
            continue
        fresh = student_notebook(chapter, committed_glue(chapter))
        if masked(path.read_text(encoding="utf-8")) != masked(fresh):
            problems.append(f"{name} is out of date with {chapter.name}")
    for path in committed_notebooks() - set(expected):
        problems.append(f"{path.relative_to(REPO_ROOT)} has no chapter")
    return problems


def pasted_keys(chapter: Path) -> set[str]:
    """The glued keys ``chapter`` pastes: in its markdown and in its figures' captions."""
    texts = []
    for cell in freshness.read_chapter(chapter).cells:
        if cell.cell_type == "markdown":
            texts.append(cell.source)
        metadata = cell.metadata.get("mystnb", {})
        texts.append(metadata.get("figure", {}).get("caption", ""))
        texts.append(metadata.get("image", {}).get("alt", ""))
    return set().union(*(plain_markdown.glue_keys(text) for text in texts))


def unbuilt_values() -> dict[str, list[str]]:
    """The glued keys each committed notebook shows as a placeholder (no build held them)."""
    found = {}
    for chapter in chapters():
        path = notebook_path(chapter)
        if path.is_file():
            missing = sorted(pasted_keys(chapter) - set(committed_glue(chapter)))
            if missing:
                found[path.relative_to(REPO_ROOT).as_posix()] = missing
    return found


def import_all(
    executed_dir: Path, cache_path: Path, only: list[Path] | None = None, log=print
) -> None:
    """Cache each executed student notebook in ``executed_dir`` as its chapter's execution
    (every chapter, or those in ``only``)."""
    for chapter in chapters() if only is None else only:
        executed = executed_dir / freshness.executed_name(chapter)
        if not executed.is_file():
            raise FileNotFoundError(f"{executed} was not executed; run the notebook tests first")
        pk = freshness.import_executed(chapter, executed, cache_path, skip=SETUP_CELLS)
        log(f"cached {chapter.relative_to(REPO_ROOT)} from {executed.name} (record {pk})")


def stale_chapters(cache_path: Path = CACHE) -> list[Path]:
    """The chapters the book build would have to execute: no fresh cached execution."""
    return [c for c in chapters() if not freshness.is_fresh(cache_path, c)]


def expected_seconds(path: Path = EXPECTED_SECONDS) -> dict[str, float]:
    """The committed execution times, chapter file name -> seconds (none if unreadable)."""
    found = layout.read_json(path)
    return {str(k): float(v) for k, v in found.items()} if isinstance(found, dict) else {}


def by_expected_time(
    found: list[Path], cache_path: Path = CACHE, committed: Path = EXPECTED_SECONDS
) -> list[Path]:
    """``found``, longest first, so that two workers finish close together: by the last
    execution this checkout cached, else by the committed times (a fresh clone), and a chapter
    neither knows first."""
    seconds = {**expected_seconds(committed), **freshness.last_execution_seconds(cache_path)}
    return sorted(found, key=lambda c: -seconds.get(c.name, float("inf")))


def record_seconds(cache_path: Path = CACHE, committed: Path = EXPECTED_SECONDS) -> dict:
    """Write the cached executions' times of the book's chapters, to the second, into the
    committed file (``notebooks.py record-seconds``, after a full run on a 2-core machine)."""
    cached = freshness.last_execution_seconds(cache_path)
    names = [c.name for c in chapters()]
    missing = [name for name in names if name not in cached]
    if missing:
        raise SystemExit(f"no cached execution of {', '.join(missing)}: run make book first")
    seconds = {name: round(cached[name]) for name in names}
    layout.write_atomically(committed, json.dumps(seconds, indent=1) + "\n")
    return seconds


def execute(
    todo: list[Path],
    cache_path: Path = CACHE,
    executed_dir: Path = EXECUTED,
    jobs: int = 2,
    python: str = sys.executable,
    log=print,
) -> None:
    """Execute the ``todo`` chapters' student notebooks with nbmake, ``jobs`` at a time, and
    cache their outputs. A failing chapter fails the run; nothing of it is cached."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if not todo:
        log("every chapter's cached execution is fresh: nothing to execute")
        return
    shutil.rmtree(executed_dir, ignore_errors=True)
    executed_dir.mkdir(parents=True)
    paths = []
    for chapter in by_expected_time(todo, cache_path):
        path = executed_dir / freshness.executed_name(chapter)
        # glued values are not needed to execute: those the build has not made are placeholders
        path.write_text(student_notebook(chapter, committed_glue(chapter)), encoding="utf-8")
        freshness.clear_side_files(chapter)  # the run writes its own
        paths.append(str(path))
    workers = min(jobs, len(paths))
    command = [python, "-m", "pytest", "--nbmake", "--nbmake-timeout=900", "--overwrite"]
    command += ["-p", "no:cacheprovider", "-o", "addopts=-ra", "--rootdir", str(executed_dir)]
    if workers > 1:
        # a free worker takes the next chapter of the list, longest first (xdist's "load", one
        # chapter at a time; "worksteal" would first split the list in two halves, the long
        # chapters on one worker)
        command += ["-n", str(workers), "--dist", "load", "--maxschedchunk", "1"]
    log(f"executing {len(paths)} chapter(s), {workers} at a time")
    report = executed_dir / "results.xml"
    command += [f"--junitxml={report}"]
    started = time.perf_counter()
    env = {**os.environ, **freshness.EXECUTION_ENV}
    result = subprocess.run(command + paths, cwd=REPO_ROOT, env=env)
    if result.returncode != 0:
        # the chapters that ran cleanly are cached all the same, so the next run redoes only
        # the failed ones
        passed = passed_notebooks(report)
        done = [c for c in todo if freshness.executed_name(c) in passed]
        import_all(executed_dir, cache_path, only=done, log=log)
        raise SystemExit(f"chapter execution failed (pytest exit {result.returncode}); "
                         f"{len(done)} of {len(todo)} chapter(s) ran cleanly and are cached")
    log(f"executed {len(paths)} chapter(s) in {time.perf_counter() - started:.0f} s")
    import_all(executed_dir, cache_path, only=todo, log=log)


def passed_notebooks(report: Path) -> set[str]:
    """File names of the notebooks whose test passed, read from pytest's JUnit XML report."""
    import xml.etree.ElementTree as ElementTree

    if not report.is_file():
        return set()
    passed = set()
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        if not any(child.tag in ("failure", "error", "skipped") for child in case):
            passed.add(Path(case.get("name", "")).name)
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    generator = sub.add_parser("generate")
    generator.add_argument(
        "--allow-missing", action="store_true",
        help="write a placeholder for a glued value no build holds (instead of failing)",
    )
    generator.add_argument(
        "--build", type=Path, action="append",
        help="a build folder (holding jupyter_execute/) to take glued values from; repeatable",
    )
    sub.add_parser("check")
    importer = sub.add_parser("import")
    importer.add_argument("executed_dir", type=Path)
    importer.add_argument("--cache", type=Path, default=CACHE)
    runner = sub.add_parser("execute", help="execute chapters in parallel and cache them")
    runner.add_argument("--all", action="store_true", help="every chapter, fresh or not")
    runner.add_argument("--jobs", type=int, default=int(os.environ.get("COURSE_JOBS", "2")))
    runner.add_argument("--cache", type=Path, default=CACHE)
    sub.add_parser("record-seconds", help="commit the cached executions' times (for ordering)")
    args = parser.parse_args(argv)
    if args.command == "generate":
        try:
            builds = [b.resolve() for b in args.build] if args.build else None
            written = generate(builds, allow_missing=args.allow_missing)
        except MissingGlueError as error:
            print(error, file=sys.stderr)
            return 1
        for path in written:
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    elif args.command == "check":
        problems = out_of_date()
        for name, keys in unbuilt_values().items():
            print(f"note: {name} shows no built value for {len(keys)} glued key(s) "
                  "(make book, then make notebooks, fills them in)", file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run `make notebooks` to regenerate them", file=sys.stderr)
            return 1
    elif args.command == "import":
        import_all(args.executed_dir, args.cache)
    elif args.command == "record-seconds":
        seconds = record_seconds()
        print(f"wrote {EXPECTED_SECONDS.relative_to(REPO_ROOT)}: {len(seconds)} chapter(s), "
              f"{sum(seconds.values())} s in all")
    else:
        todo = chapters() if args.all else stale_chapters(args.cache)
        execute(todo, args.cache, jobs=args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
