"""The book as PDF: the built site's pages printed by headless Chromium, merged with pikepdf.

Run after the book build: ``python book/tools/print_pdf.py _build/html`` (``make pdf``). It
serves the site locally (``serve.SiteServer``), prints every page of ``_toc.yml`` in order
(print media, A4, maths typeset and images loaded first) and writes, inside the site,

- ``pdf/<chapter>.pdf``: each chapter on its own, with its sections as bookmarks;
- ``pdf/<book-slug>.pdf``: a title page with the version, the date and the contents, then every
  chapter, with bookmarks parts → chapters → sections and page labels ``<chapter>-<page>``
  matching the printed footers.

Links between pages point at the published site (``html.baseurl`` of ``_config.yml``); links
within a page stay inside the PDF.

The links to these files in every page are the Sphinx extension ``book/_ext/course_pdf.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import hashlib
import html
import io
import json
import os
import re
import shutil
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))  # the build's modules
from course_pdf import PDF_DIR, slugify
from layout import REPO_ROOT, Chapter, read_toc, write_atomically

import gitinfo

CHROMIUM_ENV = "COURSE_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGE_FORMAT = "A4"
MARGIN = {"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
PAGE_TIMEOUT_MS = 120_000
PRINT_TABS = 3  # pages printed at once (see _Printer)


class SetupError(RuntimeError):
    """Something the PDF run needs is missing; the message says what to do."""


# ---------------------------------------------------------------------------------------
# The table of contents and the plan of the PDF (pure)
# ---------------------------------------------------------------------------------------


@dataclass
class OutlineItem:
    """A bookmark: a title, the 0-based page it opens and its children."""

    title: str
    page: int
    children: list[OutlineItem] = field(default_factory=list)
    bold: bool = False


def outline_plan(
    chapters: Sequence[Chapter],
    titles: Sequence[str],
    starts: Sequence[int],
    sections: Sequence[Sequence[tuple[str, int]]] = (),
) -> list[OutlineItem]:
    """Bookmarks of the book: parts → chapters → sections.

    ``starts[i]`` is the 0-based page where chapter ``i`` begins in the book and
    ``sections[i]`` its (title, page within the chapter) pairs. A chapter outside any part
    is a top-level bookmark; consecutive chapters of one part share the part's bookmark,
    which opens the part's first chapter.
    """
    if not (len(chapters) == len(titles) == len(starts)):
        raise ValueError("chapters, titles and starts must have the same length")
    if sections and len(sections) != len(chapters):
        raise ValueError("sections must have one list per chapter")
    plan: list[OutlineItem] = []
    part_item: OutlineItem | None = None
    for i, chapter in enumerate(chapters):
        item = OutlineItem(titles[i], starts[i])
        for title, page in sections[i] if sections else ():
            item.children.append(OutlineItem(title, starts[i] + page))
        if chapter.part is None:
            part_item = None
            plan.append(item)
            continue
        if part_item is None or part_item.title != chapter.part:
            part_item = OutlineItem(chapter.part, starts[i], bold=True)
            plan.append(part_item)
        part_item.children.append(item)
    return plan


# ---------------------------------------------------------------------------------------
# Environment checks
# ---------------------------------------------------------------------------------------


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium executable: ``explicit``, ``$COURSE_CHROMIUM`` or one on the PATH."""
    wanted = explicit or os.environ.get(CHROMIUM_ENV)
    if wanted:
        found = shutil.which(wanted)
        if not found:
            raise SetupError(
                f"Chromium not found at {wanted!r}: point --chromium or {CHROMIUM_ENV} at the "
                "browser's executable"
            )
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise SetupError(
        "Chromium not found: install it (`apt-get install chromium`) or set "
        f"{CHROMIUM_ENV} to the browser's executable"
    )


def check_site(site: Path, chapters: Sequence[Chapter]) -> None:
    """Fail clearly unless ``site`` is a built site with a page for every chapter."""
    if not (site / "index.html").is_file():
        raise SetupError(f"no built site at {site}: run `make book` first")
    missing = [c.html_path for c in chapters if not (site / c.html_path).is_file()]
    if missing:
        raise SetupError(f"the site at {site} lacks pages {missing}: run `make book` again")


# the student notebooks, which the build writes again with the values it computed: they are
# not in the PDF, and a checkout they alone changed is no more "dirty" for the PDF than before
# the build (else the first build after a checkout, and the one after it, would restamp it all)
BUILD_WRITTEN = ("book/*.ipynb",)


def source_version() -> str:
    """``git describe`` of the repository, or "unknown" outside a checkout: "-dirty" when a
    tracked file other than the student notebooks differs from the commit."""
    return gitinfo.describe(ignore=BUILD_WRITTEN) or "unknown"


def build_date() -> datetime.date:
    """Today, or ``$SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date()
    return datetime.date.today()


# ---------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------

# Runs in the page before printing: loads every image, waits for maths and fonts, points links
# to other pages at the published site and makes this chapter's ids unique within the book.
PREPARE_JS = """async ([prefix, publicBase, siteBase]) => {
  for (const img of document.images) { img.loading = "eager"; }
  const decoded = Promise.all([...document.images].map((img) => img.decode().catch(() => null)));
  const timeout = new Promise((resolve) => setTimeout(resolve, 60000));
  await Promise.race([decoded, timeout]);
  if (window.MathJax?.startup?.promise) { await window.MathJax.startup.promise; }
  // lay the page out as printed, so that every font it draws has started loading, then wait
  // for them (without the layout, a font the page has not yet used can be missing from
  // the print: ℝ came out as R when three pages printed at once)
  document.body.getBoundingClientRect();
  await document.fonts.ready;
  const article = document.querySelector("article.bd-article") || document.body;
  for (const el of article.querySelectorAll("[id]")) { el.id = prefix + el.id; }
  const here = location.origin + location.pathname;
  for (const a of document.querySelectorAll("a[href]")) {
    const url = new URL(a.href, location.href);
    if (url.origin + url.pathname === here) {
      if (url.hash) { a.setAttribute("href", "#" + prefix + url.hash.slice(1)); }
    } else if (publicBase && url.href.startsWith(siteBase)) {
      a.setAttribute("href", publicBase + url.href.slice(siteBase.length));
    }
  }
  const text = (el) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll(".headerlink, mjx-assistive-mml").forEach((x) => x.remove());
    return copy.textContent.replace(/\\s+/g, " ").trim();
  };
  const h1 = article.querySelector("h1");
  const sections = [...article.querySelectorAll("section[id] > h2")].map(
    (h) => [text(h), h.parentElement.id]);
  // maths Sphinx wrote as TeX that nothing typeset (MathJax puts an mjx-container inside)
  const rawTex = [...article.querySelectorAll("span.math, div.math")].some(
    (el) => !el.querySelector("mjx-container") && /\\\\[(\\[]/.test(el.textContent));
  return { title: h1 ? text(h1) : document.title, sections, rawTex };
}"""

FOOTER = (
    '<div style="font-family: sans-serif; font-size: 8px; color: #555; width: 100%; '
    'margin: 0 14mm; display: flex; justify-content: space-between;">'
    '<span>{left}</span><span>{number}-<span class="pageNumber"></span></span></div>'
)


@dataclass
class PrintedChapter:
    """A chapter printed by Chromium: its PDF bytes, title, sections (title, page) and number
    of pages."""

    chapter: Chapter
    title: str
    data: bytes
    sections: list[tuple[str, int]]
    raw_tex: bool
    pages: int


@dataclass
class BookInfo:
    """What the title page shows."""

    title: str
    author: str
    version: str
    date: datetime.date
    url: str


def load_book_info(config_path: Path) -> BookInfo:
    """Title, author and published address from ``_config.yml``; version and date of now."""
    config = (
        yaml.safe_load(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    )
    config = config or {}
    return BookInfo(
        title=str(config.get("title") or "Book"),
        author=str(config.get("author") or ""),
        version=source_version(),
        date=build_date(),
        url=str((config.get("html") or {}).get("baseurl") or ""),
    )


class PrintCache:
    """Chromium's print of each page, kept under ``folder`` with the key it was printed for.

    The key covers everything the print depends on: the page's HTML, the local files it
    loads (style sheets, scripts, images), the chapter's number, the book's address and title,
    and this module's own source (the print settings and the page script). A page whose key is
    unchanged is not printed again.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, name: str) -> tuple[Path, Path]:
        return self.folder / f"{name}.pdf", self.folder / f"{name}.json"

    def get(self, name: str, key: str) -> dict | None:
        """The cached print (its facts and ``data``) for ``key``, or None."""
        pdf, facts = self._paths(name)
        try:
            found = json.loads(facts.read_text(encoding="utf-8"))
            if found.get("key") != key:
                return None
            found["data"] = pdf.read_bytes()
        except (OSError, ValueError):
            return None
        return found

    def put(self, name: str, key: str, data: bytes, **facts: Any) -> None:
        """Keep a print; the facts file is written last, so a half-kept print never matches."""
        self.folder.mkdir(parents=True, exist_ok=True)
        pdf, facts_path = self._paths(name)
        write_atomically(pdf, data)
        write_atomically(facts_path, json.dumps({"key": key, **facts}).encode())


_LOCAL_RESOURCE = re.compile(r'''(?:src|href)="([^"#?:]+)(?:[#?][^"]*)?"''')
# the search index changes with every edit of any page, and nothing printed depends on it
_NOT_PRINTED = {"searchindex.js"}
_PRINTED_SUFFIXES = {".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


def page_key(site: Path, chapter: Chapter, info: BookInfo) -> str:
    """What a chapter's print depends on, hashed (see :class:`PrintCache`)."""
    page = site / chapter.html_path
    text = page.read_bytes()
    digest = hashlib.sha256()
    for part in (
        Path(__file__).read_bytes(),
        f"{chapter.number}\0{info.url}\0{info.title}".encode(),
        text,
    ):
        digest.update(part + b"\0")
    for link in sorted(set(_LOCAL_RESOURCE.findall(text.decode("utf-8", "replace")))):
        resource = (page.parent / link).resolve()
        if resource.name in _NOT_PRINTED:
            continue
        if resource.suffix in _PRINTED_SUFFIXES and resource.is_file():
            digest.update(link.encode() + b"\0" + resource.read_bytes() + b"\0")
    return digest.hexdigest()


def print_chapters(
    site: Path,
    chapters: Sequence[Chapter],
    info: BookInfo,
    chromium: str | None = None,
    log: Any = print,
    cache: PrintCache | None = None,
) -> tuple[list[PrintedChapter], bytes, int]:
    """Print the chapters whose pages changed and then the front matter.

    Returns every chapter's print (from ``cache`` where its page is unchanged), the front
    matter and how many prints Chromium made. Chromium (``chromium``, else as
    :func:`find_chromium` finds it) starts only if something is printed.
    """
    cache = cache or PrintCache(site.parent / "pdf-cache")
    printed: list[PrintedChapter | None] = []
    todo = []
    for chapter in chapters:
        key = page_key(site, chapter, info)
        found = cache.get(Path(chapter.docname).name, key)
        if found is None:
            todo.append((len(printed), chapter, key))
            printed.append(None)
        else:
            printed.append(
                PrintedChapter(
                    chapter,
                    found["title"],
                    found["data"],
                    [tuple(s) for s in found["sections"]],
                    found["raw_tex"],
                    found.get("pages") or _page_count(found["data"]),
                )
            )
    return asyncio.run(_print_missing(site, chromium, todo, printed, info, cache, log))


async def _print_missing(
    site: Path,
    chromium: str | None,
    todo: list[tuple[int, Chapter, str]],
    printed: list[PrintedChapter | None],
    info: BookInfo,
    cache: PrintCache,
    log: Any,
) -> tuple[list[PrintedChapter], bytes, int]:
    """Print the ``todo`` chapters into their places in ``printed``, several at a time, then
    the front matter (which needs every chapter's page count)."""
    # no more tabs than pages to print: each tab is a renderer process to start (a prose edit
    # reprints one page)
    async with _Printer(site, chromium, tabs=max(1, min(PRINT_TABS, len(todo)))) as printer:

        async def print_one(index: int, chapter: Chapter, key: str) -> None:
            item, seconds = await printer.print_chapter(chapter, info)
            cache.put(
                Path(chapter.docname).name,
                key,
                item.data,
                title=item.title,
                sections=item.sections,
                raw_tex=item.raw_tex,
                pages=item.pages,
            )
            printed[index] = item
            log(f"  {chapter.docname}: {seconds:.1f} s")

        await asyncio.gather(*(print_one(*job) for job in todo))
        done = [item for item in printed if item is not None]
        starts = [0]
        for item in done:
            starts.append(starts[-1] + item.pages)
        front_html = front_matter_html(info, done, starts)
        front_key = hashlib.sha256(Path(__file__).read_bytes() + front_html.encode()).hexdigest()
        found = cache.get("front-matter", front_key)
        if found is not None:
            front = found["data"]
        else:
            front = await printer.print_html(front_html)
            cache.put("front-matter", front_key, front)
    return done, front, printer.prints


class _Printer:
    """Chromium serving the site, started on the first print only, with ``tabs`` pages that
    print at the same time.

    Chromium's print of a page leaves this machine's two cores mostly idle (a third to a half
    busy), so three pages at once make the book's PDFs in 33 s instead of 67 s (22 prints and
    the merge); four pages are no faster.
    """

    def __init__(self, site: Path, chromium: str | None, tabs: int = PRINT_TABS) -> None:
        if tabs < 1:
            raise ValueError(f"tabs must be at least 1, got {tabs}")
        self.site, self.chromium, self.tabs = site, chromium, tabs
        self.prints = 0
        self._stack: contextlib.AsyncExitStack | None = None
        self._pages: asyncio.Queue | None = None
        self._starting = asyncio.Lock()
        self._url = ""

    async def __aenter__(self) -> _Printer:
        self._stack = contextlib.AsyncExitStack()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._stack is not None
        await self._stack.aclose()

    async def _start(self) -> asyncio.Queue:
        async with self._starting:
            if self._pages is not None:
                return self._pages
            try:
                from playwright.async_api import async_playwright
            except ImportError as error:
                raise SetupError("Playwright is missing: `pip install playwright`") from error
            from serve import SiteServer

            assert self._stack is not None
            executable = find_chromium(self.chromium)
            self._url = self._stack.enter_context(SiteServer(self.site)).url
            playwright = await self._stack.enter_async_context(async_playwright())
            try:
                browser = await playwright.chromium.launch(
                    executable_path=executable, args=CHROMIUM_ARGS
                )
            except Exception as error:  # Playwright raises its own error types
                raise SetupError(
                    f"Chromium at {executable} did not start ({error}); install it with "
                    "`apt-get install chromium`"
                ) from error
            self._stack.push_async_callback(browser.close)
            pages: asyncio.Queue = asyncio.Queue()
            for page in await asyncio.gather(*(browser.new_page() for _ in range(self.tabs))):
                page.set_default_timeout(PAGE_TIMEOUT_MS)
                pages.put_nowait(page)
            self._pages = pages
            return pages

    @contextlib.asynccontextmanager
    async def _page(self) -> AsyncIterator[Any]:
        """A free page of the browser, given back after use."""
        pages = await self._start()
        page = await pages.get()
        try:
            yield page
        finally:
            pages.put_nowait(page)

    async def print_chapter(self, chapter: Chapter, info: BookInfo) -> tuple[PrintedChapter, float]:
        """Print one page of the site, links and ids prepared for the whole book; returns the
        print and the seconds it took once a page of the browser was free."""
        async with self._page() as page:
            started = time.perf_counter()
            await page.emulate_media(media="print")
            await page.goto(self._url + chapter.html_path, wait_until="load")
            prefix = f"c{chapter.number}-"
            public = info.url.rstrip("/") + "/" if info.url else ""
            facts = await page.evaluate(PREPARE_JS, [prefix, public, self._url])
            left = html.escape(f"{info.title} · {facts['title']}")
            data = await page.pdf(
                format=PAGE_FORMAT,
                margin=MARGIN,
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER.format(left=left, number=chapter.number),
            )
            seconds = time.perf_counter() - started
        self.prints += 1
        item = PrintedChapter(
            chapter,
            facts["title"],
            data,
            _section_pages(data, facts["sections"]),  # ids as the page script prefixed them
            facts["rawTex"],
            _page_count(data),
        )
        return item, seconds

    async def print_html(self, text: str) -> bytes:
        """Print a standalone HTML document (the front matter)."""
        async with self._page() as page:
            await page.set_content(text)
            data = await page.pdf(format=PAGE_FORMAT, margin=MARGIN, print_background=True)
        self.prints += 1
        return data


def front_matter_html(
    info: BookInfo, printed: Sequence[PrintedChapter], starts: Sequence[int]
) -> str:
    """The title page and contents: parts, chapters and the label of each chapter's first page."""
    rows = []
    part = None
    for item in printed:
        if item.chapter.part != part and item.chapter.part is not None:
            rows.append(
                f'<tr class="part"><td colspan="2">{html.escape(item.chapter.part)}</td></tr>'
            )
        part = item.chapter.part
        rows.append(
            f"<tr><td>{item.chapter.number}. {html.escape(item.title)}</td>"
            f'<td class="page">{item.chapter.number}-1</td></tr>'
        )
    total = starts[-1] if starts else 0
    url = (
        f'<p><a href="{html.escape(info.url)}">{html.escape(info.url)}</a></p>' if info.url else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(info.title)}</title>
<style>
body {{ font-family: sans-serif; color: #222; }}
.title {{ height: 250mm; display: flex; flex-direction: column; justify-content: center;
  text-align: center; break-after: page; }}
.title h1 {{ font-size: 34pt; font-weight: 500; margin: 0 0 12mm; }}
.title p {{ font-size: 13pt; margin: 2mm 0; }}
h2 {{ font-weight: 500; }}
table {{ width: 100%; border-collapse: collapse; font-size: 11pt; }}
td {{ padding: 1.2mm 0; }}
td.page {{ text-align: right; color: #555; }}
tr.part td {{ font-weight: 600; padding-top: 4mm; }}
p.note {{ font-size: 9pt; color: #555; }}
</style></head><body>
<section class="title"><h1>{html.escape(info.title)}</h1>
<p>{html.escape(info.author)}</p>
<p>Version {html.escape(info.version)} · {info.date.isoformat()}</p>{url}</section>
<h2>Contents</h2>
<table>{"".join(rows)}</table>
<p class="note">{len(printed)} chapters, {total} pages. Pages are numbered by chapter:
page 3-2 is the second page of chapter 3.</p>
</body></html>"""


# ---------------------------------------------------------------------------------------
# Merging
# ---------------------------------------------------------------------------------------
# pikepdf (qpdf) copies pages with their link targets in C++: the book's 536 pages merge in
# about a second, half of it sharing identical streams, where pypdf, which parses every object
# in Python, took 2 to 5 s of each rebuild


def _open(data: bytes) -> Any:
    import pikepdf

    return pikepdf.open(io.BytesIO(data))


def _page_count(data: bytes) -> int:
    with _open(data) as pdf:
        return len(pdf.pages)


def _destinations(pdf: Any) -> dict[str, Any]:
    """A PDF's named destinations (name -> non-empty destination array ``[page ...]``), from
    the document's ``Dests`` dictionary (where Chromium writes them) and its ``Names`` tree."""
    import pikepdf

    found: dict[str, Any] = {}
    root = pdf.Root
    if "/Names" in root and "/Dests" in root.Names:
        found |= {str(name): dest for name, dest in pikepdf.NameTree(root.Names.Dests).items()}
    if "/Dests" in root:
        found |= {name.lstrip("/"): dest for name, dest in root.Dests.items()}
    arrays = {}
    for name, dest in found.items():
        if isinstance(dest, pikepdf.Dictionary):  # {/D [page ...]}
            dest = dest.get("/D")
        if isinstance(dest, pikepdf.Array) and len(dest):
            arrays[name] = dest
    return arrays


def _section_pages(data: bytes, wanted: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """(title, 0-based page) of each section whose id Chromium kept as a named destination."""
    with _open(data) as pdf:
        named = _destinations(pdf)
        page_of = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
        found = []
        for title, anchor in wanted:
            dest = named.get(anchor)
            if dest is not None and dest[0].objgen in page_of:
                found.append((title, page_of[dest[0].objgen]))
        return found


def _add_outline(parent: list, items: Sequence[OutlineItem]) -> None:
    import pikepdf

    for item in items:
        bookmark = pikepdf.OutlineItem(item.title, item.page)
        bookmark.is_closed = True
        bookmark.bold = item.bold
        parent.append(bookmark)
        _add_outline(bookmark.children, item.children)


def _label(style: str, prefix: str = "") -> Any:
    """A page-label dictionary, counting from 1: ``style`` "/D" (1, 2, ...) or "/r" (i, ii,
    ...), after ``prefix``."""
    import pikepdf

    label = pikepdf.Dictionary(S=pikepdf.Name(style), St=1)
    if prefix:
        label.P = pikepdf.String(prefix)
    return label


def _finish(
    pdf: Any, title: str, info: BookInfo, outline: Sequence[OutlineItem], labels: list
) -> bytes:
    """Bookmarks, page labels (``[first page, label, ...]``), metadata, saved."""
    import pikepdf

    with pdf.open_outline() as tree:
        tree.root.clear()
        _add_outline(tree.root, outline)
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(labels))
    pdf.Root.PageMode = pikepdf.Name.UseOutlines
    pdf.docinfo = pdf.make_indirect(
        pikepdf.Dictionary(
            {
                "/Title": pikepdf.String(title),
                "/Author": pikepdf.String(info.author),
                "/Subject": pikepdf.String(
                    f"{info.title}, version {info.version}, {info.date.isoformat()}"
                ),
                "/Creator": pikepdf.String("course_pdf (Chromium, pikepdf)"),
            }
        )
    )
    out = io.BytesIO()
    pdf.save(
        out,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        deterministic_id=True,
    )
    return out.getvalue()


def chapter_pdf(item: PrintedChapter, info: BookInfo) -> bytes:
    """A chapter's own PDF: Chromium's pages with section bookmarks and page labels."""
    with _open(item.data) as pdf:
        sections = [OutlineItem(title, page) for title, page in item.sections]
        labels = [0, _label("/D", prefix=f"{item.chapter.number}-")]
        return _finish(pdf, f"{item.title} — {info.title}", info, sections, labels)


def book_pdf(printed: Sequence[PrintedChapter], front: bytes, info: BookInfo) -> bytes:
    """The whole book: front matter, then every chapter; bookmarks and page labels."""
    import pikepdf

    sources = [_open(front)] + [_open(item.data) for item in printed]
    try:
        book = pikepdf.new()
        book.add_pages_from(sources[0], outlines="ignore")
        labels = [0, _label("/r")]
        starts = []
        for item, source in zip(printed, sources[1:], strict=True):
            starts.append(len(book.pages))
            book.add_pages_from(source, outlines="ignore")  # with the pages' link targets
            _carry_destinations(book, source, starts[-1])
            labels += [starts[-1], _label("/D", prefix=f"{item.chapter.number}-")]
        share_identical_streams(book)
        plan = [OutlineItem("Title page and contents", 0)] + outline_plan(
            [p.chapter for p in printed],
            [p.title for p in printed],
            starts,
            [p.sections for p in printed],
        )
        return _finish(book, info.title, info, plan, labels)
    finally:
        for source in sources:
            source.close()


def _carry_destinations(book: Any, source: Any, start: int) -> None:
    """Copy into the book the named destinations of ``source`` (its pages copied from page
    ``start`` on) that no link of its own uses: ``add_pages_from`` carries only those that
    links use, and a figure's or a heading's name is a place a reader may be sent to."""
    import pikepdf

    copies = {page.obj.objgen: book.pages[start + i].obj for i, page in enumerate(source.pages)}
    if "/Dests" not in book.Root:
        book.Root.Dests = book.make_indirect(pikepdf.Dictionary())
    dests = book.Root.Dests
    for name, dest in _destinations(source).items():
        if "/" + name not in dests and dest[0].objgen in copies:
            dests["/" + name] = pikepdf.Array([copies[dest[0].objgen], *list(dest)[1:]])


def share_identical_streams(pdf: Any, rounds: int = 3) -> int:
    """Point every reference to a stream at the first stream with the same bytes and
    dictionary; returns how many streams are no longer referenced (saving drops them).

    Each chapter is printed on its own, so an image or font file shown in several chapters
    is in the book once per chapter. Streams that refer to other streams (an image and its
    soft mask) become equal only once those are shared, hence the rounds.
    """
    import pikepdf

    dropped: set[tuple[int, int]] = set()
    for _ in range(rounds):
        first: dict[bytes, Any] = {}
        duplicate: dict[tuple[int, int], Any] = {}
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.objgen not in dropped:
                # the dictionary as written: other objects in it by their numbers
                key = hashlib.sha256(obj.stream_dict.unparse() + obj.read_raw_bytes()).digest()
                if key in first:
                    duplicate[obj.objgen] = first[key]
                else:
                    first[key] = obj
        if not duplicate:
            break
        for obj in list(pdf.objects):
            if obj.objgen not in dropped:
                _repoint(obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj, duplicate)
        dropped |= duplicate.keys()
    return len(dropped)


def _repoint(container: Any, duplicate: dict[tuple[int, int], Any]) -> None:
    """Replace, in a dictionary or array and the direct ones inside it, every reference to a
    duplicate stream by its first copy."""
    import pikepdf

    if isinstance(container, pikepdf.Dictionary):
        items = list(container.items())
    elif isinstance(container, pikepdf.Array):
        items = list(enumerate(container))
    else:
        return
    for key, value in items:
        if not isinstance(value, pikepdf.Object):
            continue  # a number, a name or a string, converted to Python's types
        if value.is_indirect:
            if value.objgen in duplicate:
                container[key] = duplicate[value.objgen]
        elif isinstance(value, (pikepdf.Dictionary, pikepdf.Array)):
            _repoint(value, duplicate)


def make_pdfs(
    site: Path,
    toc_path: Path = REPO_ROOT / "_toc.yml",
    config_path: Path = REPO_ROOT / "_config.yml",
    chromium: str | None = None,
    log: Any = print,
    cache_dir: Path | None = None,
) -> Path:
    """Print the site's chapters into ``<site>/pdf/``; returns the whole book's PDF.

    Pages whose print is unchanged come from the print cache (``cache_dir``, by default
    ``pdf-cache`` beside the site); when nothing changed and every PDF is there, nothing is
    written. Chromium is needed only when something must be printed.
    """
    chapters = read_toc(toc_path)
    check_site(site, chapters)
    info = load_book_info(config_path)
    cache = PrintCache(cache_dir or site.parent / "pdf-cache")
    printed, front, prints = print_chapters(site, chapters, info, chromium, log, cache)
    raw = [p.chapter.docname for p in printed if p.raw_tex]
    if raw:
        log(f"warning: raw TeX left in {raw}: was the maths typeset?")
    out_dir = site / PDF_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    book = out_dir / f"{slugify(info.title)}.pdf"
    outputs = [out_dir / item.chapter.pdf_name for item in printed] + [book]
    stamp = cache.folder / "outputs.sha256"  # what the PDFs in the site were made from
    book_facts = repr(dataclasses.astuple(info)).encode()
    chapter_states = {
        item.chapter.pdf_name: hashlib.sha256(item.data + book_facts).hexdigest()
        for item in printed
    }
    state = hashlib.sha256(
        "".join(chapter_states.values()).encode() + hashlib.sha256(front).digest() + book_facts
    ).hexdigest()
    if prints == 0 and all(p.is_file() for p in outputs) and _read(stamp) == state:
        log("PDF: no page changed; the PDFs are up to date")
        return book
    write_atomically(stamp, b"")  # until every PDF below is written, none counts as up to date
    for item in printed:  # a chapter's own PDF is rewritten only when its print changed
        target = out_dir / item.chapter.pdf_name
        state_path = cache.folder / f"{item.chapter.pdf_name}.sha256"
        if not target.is_file() or _read(state_path) != chapter_states[target.name]:
            write_atomically(target, chapter_pdf(item, info))
            write_atomically(state_path, chapter_states[target.name].encode())
    write_atomically(book, book_pdf(printed, front, info))
    write_atomically(stamp, state.encode())
    log(f"PDF: printed {prints} page(s), {len(chapters) + 1 - prints} from the print cache")
    return book


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: print the built site to PDFs and report pages, size and time."""
    parser = argparse.ArgumentParser(
        description="Print the built book to PDF (whole and chapters)."
    )
    parser.add_argument("site", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument("--toc", type=Path, default=REPO_ROOT / "_toc.yml")
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "_config.yml")
    parser.add_argument(
        "--chromium", help=f"Chromium's executable (default: ${CHROMIUM_ENV} or PATH)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        book = make_pdfs(args.site, args.toc, args.config, args.chromium)
    except (SetupError, OSError, ValueError) as error:
        print(f"course_pdf: {error}", file=sys.stderr)
        return 1
    pages = _page_count(book.read_bytes())
    print(
        f"{book}: {pages} pages, {book.stat().st_size / 1e6:.1f} MB, "
        f"printed in {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
