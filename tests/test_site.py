"""Checks of the built site (_build/html): run after the book build, with `make site-tests`."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import layout
import nbformat
import pytest
import yaml
from browser import launch_urls
from layout import REPO_ROOT

SITE = REPO_ROOT / "_build" / "html"
EXECUTED = REPO_ROOT / "_build" / "jupyter_execute"
CACHE = REPO_ROOT / "_build" / ".jupyter_cache"


import notebooks  # noqa: E402

# one worker runs this file: its module fixtures are costly to build twice
pytestmark = [pytest.mark.site, pytest.mark.xdist_group("test_site")]
# the published site's path on its host (/course/): absolute links start with it
SITE_PREFIX = urlsplit(
    yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))["html"]["baseurl"]
).path
ASSET_ATTRIBUTES = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "object": "data",
}
ASSET_LINK_RELS = {
    "stylesheet",
    "preload",
    "modulepreload",
    "icon",
    "shortcut",
    "manifest",
    "apple-touch-icon",
    "prefetch",
}


class _Page(HTMLParser):
    """Collects a page's ids, links, assets and meta tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.assets: list[str] = []
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.ids.add(attributes["name"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag in ASSET_ATTRIBUTES and attributes.get(ASSET_ATTRIBUTES[tag]):
            self.assets.append(attributes[ASSET_ATTRIBUTES[tag]])
        if tag == "link" and set((attributes.get("rel") or "").split()) & ASSET_LINK_RELS:
            self.assets.append(attributes.get("href", ""))
        if tag == "meta" and attributes.get("name"):
            self.meta[attributes["name"]] = attributes.get("content", "")


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _is_remote(url: str) -> bool:
    return bool(urlsplit(url).scheme in {"http", "https"} or url.startswith("//"))


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail("no built site in _build/html: run `make build` (or `make book`) first")
    return SITE


@pytest.fixture(scope="module")
def pages(site) -> dict[Path, _Page]:
    return {path: _parse(path) for path in site.rglob("*.html")}


def _toc_files() -> list[str]:
    return [chapter.docname for chapter in layout.read_toc()]


def test_every_toc_entry_was_built(site):
    missing = [f for f in _toc_files() if not (site / f"{f}.html").is_file()]
    assert not missing, f"toc entries without a page: {missing}"


def test_no_cell_raised_or_warned():
    executed = list(EXECUTED.rglob("*.ipynb"))
    assert executed, "no executed notebooks in _build/jupyter_execute"
    problems = []
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    problems.append(f"{path.name} cell {index}: {output.get('ename')}")
                text = output.get("text", "") if output.get("name") == "stderr" else ""
                if re.search(r"Traceback|\w+Warning\b", text):
                    problems.append(f"{path.name} cell {index}: stderr {text[:120]!r}")
    assert not problems, "\n".join(problems)


def test_hosted_papers_are_published_with_the_right_checksum(site):
    from course.data import entry

    hosted = [
        p
        for p in yaml.safe_load((REPO_ROOT / "references" / "papers.yml").read_text())["papers"]
        if p.get("hosted")
    ]
    assert len(hosted) >= 6
    for paper in hosted:
        item = entry(paper["file"])
        published = site / "papers" / Path(item.key).name
        assert published.is_file(), f"{published} is missing"
        assert hashlib.sha256(published.read_bytes()).hexdigest() == item.sha256


def test_nothing_is_loaded_from_another_host(site, pages):
    remote = [
        f"{path.relative_to(site)}: {url}"
        for path, page in pages.items()
        for url in page.assets
        if _is_remote(url)
    ]
    for css in site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(errors="replace")):
            if _is_remote(url):
                remote.append(f"{css.relative_to(site)}: {url}")
    assert not remote, "assets from other hosts:\n" + "\n".join(remote[:20])


def test_internal_links_resolve(site, pages):
    broken = []
    for path, page in pages.items():
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("//", "mailto:", "javascript:")):
                continue
            if parts.path.startswith(SITE_PREFIX):  # absolute, as in the 404 page
                target = (site / unquote(parts.path[len(SITE_PREFIX) :])).resolve()
            elif not parts.path:
                target = path
            else:
                target = (path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.relative_to(site)} -> {href}")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if fragment not in ids:
                    broken.append(f"{path.relative_to(site)} -> {href} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken[:30])


def test_every_page_has_a_description_and_the_source_version(site, pages):
    for entry in _toc_files():
        page = pages[site / f"{entry}.html"]
        description = page.meta.get("description", "")
        assert 40 <= len(description) <= 160, f"{entry}: description {description!r}"
        assert "Built from version" in (site / f"{entry}.html").read_text()


def test_maths_is_typeset_with_local_fonts_or_local_mathjax(site, pages):
    """Maths is rendered at build time (fonts from the site) or by the site's own MathJax."""
    with_math = [p for p in pages if 'class="math' in p.read_text()]
    assert with_math
    for path in with_math:
        text = path.read_text()
        scripts = [a for a in pages[path].assets if "mathjax" in a.lower()]
        if "<mjx-container" in text:
            fonts = re.findall(r"url\(([^)]*mathjax[^)]*)\)", text)
            assert fonts and not scripts, path  # typeset already: no MathJax script
            for font in {f.strip("\"'") for f in fonts}:
                assert (path.parent / font).resolve().is_file(), f"{path}: {font}"
        else:
            assert scripts and not any(_is_remote(s) for s in scripts), path


def test_each_chapter_launches_its_own_notebook(site, pages):
    """Every chapter with code links Binder and Colab to its student notebook (the menu that
    shows the links is checked in a browser by test_browser.py)."""
    wrong = []
    for chapter in notebooks.chapters():
        name = notebooks.docname(chapter)
        assert notebooks.notebook_path(chapter).is_file(), name
        links = pages[site / f"{name}.html"].links
        launches = tuple(
            [link for link in links if host in link]
            for host in ("mybinder.org", "colab.research.google.com")
        )
        if launches != tuple([url] for url in launch_urls(name)):
            wrong.append(f"{name}: {launches}")
    assert not wrong, "\n".join(wrong)


def test_execution_report_lists_every_chapter(site):
    report = (site / "book" / "execution-report.html").read_text()
    for chapter in notebooks.chapters():
        assert chapter.relative_to(REPO_ROOT).with_suffix("").as_posix() in report, chapter


def test_execution_report_lists_the_checked_claims_of_every_chapter(site):
    report = (site / "book" / "execution-report.html").read_text()
    tables = re.findall(r'<table[^>]*\bclass="[^"]*\bcourse-claims\b[^"]*"[^>]*>(.*?)</table>',
                        report, flags=re.S)
    assert len(tables) == 1, "the report has no table of checked claims"
    table = tables[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]  # after the header
    chapters_with_claims = {m for row in rows for m in re.findall(r'href="([\w-]+)\.html', row)}
    executed = {c.stem for c in notebooks.chapters()}
    missing = sorted(executed - chapters_with_claims)
    assert not missing, f"chapters without checked claims: {missing}"
    statuses = [re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)[-1])
                for row in rows]
    assert statuses and all(status.strip() == "holds" for status in statuses), set(statuses)


def test_the_build_reused_the_notebook_executions():
    """Each chapter ran once, as its student notebook (nbmake), and the page shows that run:
    the book build executed nothing itself."""
    from jupyter_cache import get_cache

    import freshness

    cache = get_cache(str(CACHE))
    for chapter in notebooks.chapters():
        record = freshness.matching_record(cache, chapter)
        assert record is not None, f"{chapter.name} has no cached execution"
        assert record.data.get("executed_by") == "nbmake", f"{chapter.name} was executed twice"


# ---------------------------------------------------------------- the student notebooks' numbers

_SITE_FIGURE = re.compile(
    r'<figure[^>]*\bid="(?P<id>[^"]+)"(?:(?!</figure>).)*?'
    r'<span class="caption-number">(?P<number>[^<]+?)\s*</span>',
    re.S,
)
_SITE_BOX = re.compile(
    r'<div class="(?:exercise|proof [a-z]+) admonition" id="(?P<id>[^"]+)">\s*'
    r'<p class="admonition-title"><span class="caption-number">(?P<number>[^<]+?)\s*</span>'
)


def site_numbers(page: str) -> dict[str, str]:
    """The numbers a built page shows: figure, exercise and theorem ids -> "Fig. 3" etc."""
    found = {m["id"]: m["number"] for m in _SITE_FIGURE.finditer(page)}
    return found | {m["id"]: m["number"] for m in _SITE_BOX.finditer(page)}


def test_site_numbers_are_read_from_a_page():
    page = (
        '<figure class="align-default" id="fig-a"><img src="x.png"/><figcaption><p>'
        '<span class="caption-number">Fig. 7 </span><span class="caption-text">A'
        '</span></p></figcaption></figure><div class="exercise admonition" id="ex-a">\n'
        '<p class="admonition-title"><span class="caption-number">Exercise 2 </span> (T)</p>'
    )
    assert site_numbers(page) == {"fig-a": "Fig. 7", "ex-a": "Exercise 2"}


def test_student_notebooks_number_as_the_site_does(site):
    """The student notebooks (book/tools/plain_markdown.py) number figures, exercises and
    theorems as the built site does: through the whole book, in reading order."""
    book = notebooks.book_index()
    ours = {label: t.text for table in (book.figures, book.proofs) for label, t in table.items()}
    ours |= {label: text.partition(" (")[0] for label, text in book.exercises.items()}
    shown: dict[str, str] = {}
    for chapter in notebooks.chapters():
        page = site / f"{notebooks.docname(chapter)}.html"
        shown |= site_numbers(page.read_text(encoding="utf-8"))
    assert shown and {label: ours.get(label) for label in shown} == shown


def test_each_chapter_offers_its_notebook_with_this_builds_values(site):
    """The download menu links the chapter's student notebook, written into the site by the
    build: valid, the chapter's code cells, and every glued value filled in."""
    import plain_markdown

    for chapter in notebooks.chapters():
        name = chapter.stem
        page = (site / "book" / f"{name}.html").read_text(encoding="utf-8")
        assert f'href="../notebooks/{name}.ipynb"' in page, f"{name}: no notebook download"
        # and no second notebook: the theme's executed MyST source, which Jupyter cannot render
        assert f'href="../_sources/book/{name}.ipynb"' not in page, name
        assert not (site / "_sources" / "book" / f"{name}.ipynb").exists(), name
        nb = nbformat.read(site / "notebooks" / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        committed = nbformat.read(notebooks.notebook_path(chapter), as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert code == [c.source for c in committed.cells if c.cell_type == "code"], name
        markdown = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert f"{plain_markdown.PLACEHOLDER}</span>" not in markdown, f"{name}: missing values"
