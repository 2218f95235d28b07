"""Fast, accessible pages: what the build does to the HTML after the theme has rendered it.

- **Maths rendered at build time.** Each page's TeX is turned into MathJax CommonHTML by Node
  (``render_math.cjs``, with the MathJax copy the book already ships), with MathJax's hidden
  MathML for screen readers, and the page gets only the stylesheet for the characters it uses.
  The reader downloads no maths JavaScript and sees no re-layout. Without Node the pages keep
  MathJax in the browser, as before, and the build says so.
- **No icon script, and icon fonts with only the icons the site shows.** Font Awesome's 1.5 MB
  script is dropped: the theme's stylesheet and web fonts draw the same icons. Those fonts hold
  about 2,000 icons (270 KiB) where the site shows a dozen, so each is cut down by fontTools to
  the icons that the pages and the theme's scripts name (a few KiB); no Sphinx extension does it.
- **Scripts that do not block the first paint.** Theme and extension scripts load with
  ``defer`` (they still run in order, before the page's ``DOMContentLoaded``).
- **Buttons named by what they show** (the theme's search and version buttons), and
  bibliography entries that are proper list items.
- **One stylesheet.** The theme's and extensions' render-blocking stylesheets are merged into
  one file (named by its content), so a phone on a slow network makes one request, not 16.
- **Images that do not shift the page.** Each ``<img>`` gets its pixel size, ``loading="lazy"``
  and ``decoding="async"``.
- **Tab stops without laying out the whole page.** The theme's script measures every code
  block, output and table once the page has loaded, to give a tab stop to those that scroll;
  that makes the browser lay out every section it skips (``content-visibility: auto``), which
  was most of the longest chapter's main-thread work on a phone. That pass is turned off in the
  theme's script, the build gives each code block and table ``tabindex="0"``, and
  ``course-tab-stops.js`` measures an element only when its section is rendered.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import re
import shutil
import struct
import subprocess
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from layout import STATIC_DIR, read_json, write_atomically
from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
RENDERER = Path(__file__).with_name("render_math.cjs")
FAVICON = STATIC_DIR / "favicon.svg"
MATHJAX_DIR = "_static/mathjax"
MATHJAX_FONTS = "output/chtml/fonts/woff-v2"  # inside MathJax's folder
FONT_DIR = f"{MATHJAX_DIR}/{MATHJAX_FONTS}"
MATH_STYLE = re.compile(r'<style id="course-math">(.*?)</style>', re.DOTALL)
CSS_CONTENT = re.compile(r'content:\s*"((?:[^"\\]|\\.)*)"')
CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)")

# TeX inside a maths element, as Sphinx writes it: \(..\) inline, \[..\] displayed
TEX_SPAN = re.compile(r"\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\]", re.DOTALL)
MATH_CLASSES = {"math", "notranslate", "nohighlight"}  # Sphinx's maths <span> and <div>
# The version switcher's button is written by an inline script (document.write of a template
# string), so no HTML parser sees it as a tag: its label is matched as text.
MISLABELLED_BUTTON = re.compile(
    r'(?P<open><button[^>]*class="[^"]*(?:search-button__button|version-switcher__button)[^>]*?)'
    r'\s+aria-label="[^"]*"'
)
# inline scripts in the page use DOCUMENTATION_OPTIONS as soon as they run
KEEP_BLOCKING = ("documentation_options.js",)
CSS_IMPORT = re.compile(r'@import\s+(?:url\()?["\'](?P<target>[^"\']+)["\']\)?\s*;')
BUNDLE_LINK = re.compile(r'<link rel="stylesheet" href="([^"]*course-bundle-[0-9a-f]+\.css)"')
CSS_URL = re.compile(r'url\(\s*["\']?(?P<target>[^"\')]+?)["\']?\s*\)')
_BUNDLES: dict[tuple[Path, ...], Path] = {}
_BUNDLES_LOCK = threading.Lock()
# Font Awesome's stylesheet: `.fa-github:before{content:"\f09b"}` (several selectors may share
# one rule); some icons are plain or escaped characters: `.fa-plus:before{content:"\+"}`,
# `.fa-k:before{content:"K"}`. A page or script names an icon by its class
ICON_RULE = re.compile(
    r'(?<![^{}])(?P<selectors>(?:\.fa-[a-z0-9-]+:before,?)+)'
    r'\{content:"(?P<content>(?:[^"\\]|\\.)+)"\}'
)
ICON_NAME = re.compile(r"\bfa-[a-z0-9-]+")
ICON_FONT_DIR = "_static/vendor/fontawesome/webfonts"
ICON_FONTS = ("fa-solid-900", "fa-regular-400", "fa-brands-400")
# pydata-sphinx-theme's script ends by running its tab-stop pass, addTabStopsToScrollableElements
# (minified to a one-letter name), at once or on "load"; THEME_TAB_STOPS_OFF replaces that call
THEME_SCRIPT = "_static/scripts/pydata-sphinx-theme.js"
THEME_TAB_STOPS = re.compile(
    r'"complete"===document\.readyState\?(?P<name>\w+)\(\):'
    r'window\.addEventListener\("load",(?P=name)\)'
)
THEME_TAB_STOPS_OFF = "void 0/*course-tab-stops.js*/"
# the elements that get tabindex="0" from the build: code blocks (<pre>), the theme's table
# wrappers and myst-nb's HTML outputs (wide tables); text outputs scroll in their <pre>
TAB_STOP_CLASSES = {"pst-scrollable-table-container", "text_html"}


# ---------------------------------------------------------------------------------------
# The page's tags, found by an HTML parser; edits are spliced into the text as it is
# ---------------------------------------------------------------------------------------

VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}


@dataclass
class Tag:
    """An element of a page: its start tag's span in the text and, if closed, its end tag's."""

    name: str
    attrs: dict[str, str | None]
    start: int  # where "<name" begins
    open_end: int  # just after the start tag's ">"
    close_start: int | None = None  # where "</name>" begins
    close_end: int | None = None  # just after it

    @property
    def raw(self) -> str:
        return self._page[self.start : self.open_end]

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def inner(self) -> str:
        """The text between the start and end tags ('' for an unclosed element)."""
        return self._page[self.open_end : self.close_start] if self.close_start else ""

    _page: str = ""


class _TagFinder(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=False)
        self.page = page
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", page)]
        self.tags: list[Tag] = []
        self.open: dict[str, list[Tag]] = {}

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _found(self, tag: str, attrs: list[tuple[str, str | None]]) -> Tag:
        start = self._offset()
        found = Tag(tag, dict(attrs), start, start + len(self.get_starttag_text() or ""))
        found._page = self.page
        self.tags.append(found)
        return found

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = self._found(tag, attrs)
        if tag not in VOID_TAGS:
            self.open.setdefault(tag, []).append(found)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._found(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        opened = self.open.get(tag)
        if opened:
            element = opened.pop()
            element.close_start = self._offset()
            element.close_end = self.page.index(">", element.close_start) + 1


@functools.lru_cache(maxsize=8)
def find_tags(page: str) -> list[Tag]:
    """Every element of ``page`` in document order, located by Python's HTML parser (which
    knows script bodies, comments and attribute quoting, as regular expressions do not).

    The answer is remembered for the last few texts: several fixes read one page."""
    finder = _TagFinder(page)
    finder.feed(page)
    finder.close()
    return finder.tags


def splice(page: str, edits: list[tuple[int, int, str]]) -> str:
    """``page`` with each ``(start, end, text)`` span replaced; spans must not overlap."""
    pieces, position = [], 0
    for start, end, text in sorted(edits):
        pieces += [page[position:start], text]
        position = end
    return "".join(pieces) + page[position:]


def head_end(page: str) -> int:
    """Where the head ends (the page's length if it has none)."""
    end = page.find("</head>")
    return end if end >= 0 else len(page)


def _and_space(page: str, end: int) -> int:
    """``end`` moved past the whitespace that follows it (to remove a tag with its line)."""
    while end < len(page) and page[end] in " \t\r\n":
        end += 1
    return end


def _removals(page: str, doomed: list[Tag]) -> list[tuple[int, int, str]]:
    """Edits that remove each element, its end tag and the whitespace after it."""
    return [(t.start, _and_space(page, t.close_end or t.open_end), "") for t in doomed]


def _with_attribute(tag: Tag, text: str) -> str:
    """The start tag's text with `` text`` added after its name."""
    return tag.raw[: len(tag.name) + 1] + " " + text + tag.raw[len(tag.name) + 1 :]


def math_elements(page: str) -> list[Tag]:
    """Sphinx's maths elements: ``<span class="math notranslate nohighlight">\\(..\\)</span>``
    inline and ``<div class="math ...">[<span class="eqno">..</span>]\\[..\\]</div>``."""
    return [t for t in find_tags(page)
            if t.name in ("span", "div") and MATH_CLASSES <= t.classes() and t.close_start]


class MathRenderError(RuntimeError):
    """Node could not render a page's maths."""


# ---------------------------------------------------------------------------------------
# Maths
# ---------------------------------------------------------------------------------------


def find_tex(body: str) -> list[dict[str, Any]]:
    """Every TeX expression in a page body, in order: ``{"tex": ..., "display": bool}``."""
    items = []
    for element in math_elements(body):
        for match in TEX_SPAN.finditer(element.inner()):
            display = match["display"] is not None
            tex = match["display"] if display else match["inline"]
            items.append({"tex": html.unescape(tex), "display": display})
    return items


def render_tex(items: list[dict[str, Any]], mathjax: Path, macros: dict[str, str],
               font_url: str, node: str = "node") -> tuple[list[str], str]:
    """Render TeX items with MathJax in Node: (HTML of each item, the stylesheet they need)."""
    request = {"mathjax": str(mathjax), "macros": macros, "fontURL": font_url, "items": items}
    try:
        done = subprocess.run(
            [node, str(RENDERER)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise MathRenderError(f"could not run Node: {error}") from error
    if done.returncode != 0:
        raise MathRenderError(done.stderr.strip() or f"Node exited with {done.returncode}")
    answer = json.loads(done.stdout)
    if answer["failures"]:
        bad = "; ".join(repr(items[index]["tex"]) for index in answer["failures"])
        raise MathRenderError(f"MathJax could not typeset: {bad}")
    return answer["html"], answer["css"]


def replace_tex(body: str, rendered: list[str]) -> str:
    """Put rendered maths in place of the TeX, in the order ``find_tex`` found it."""
    return splice(body, _replace_tex_edits(body, rendered))


def _replace_tex_edits(body: str, rendered: list[str]) -> list[tuple[int, int, str]]:
    pieces = iter(rendered)
    edits = []
    for element in math_elements(body):
        inner = TEX_SPAN.sub(lambda _: next(pieces), element.inner())
        edits.append((element.open_end, element.close_start, inner))
    return edits


def mathjax_source() -> Path | None:
    """The MathJax component folder shipped by sphinx-mathjax-offline, if installed."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("sphinx-mathjax-offline")
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "static" / "mathjax"
    return folder if (folder / "node-main.js").is_file() else None


def on_builder_inited(app: Sphinx) -> None:
    """Decide once whether maths is rendered at build time, and say so."""
    app.builder.course_math_ssr = None  # type: ignore[attr-defined]
    if app.builder.format != "html" or not app.config.course_render_math:
        return
    node = shutil.which("node")
    mathjax = mathjax_source()
    if node is None or mathjax is None:
        LOGGER.info(
            "course_pages: maths will be typeset in the browser "
            "(install Node.js to render it at build time)"
        )
        return
    app.builder.course_math_ssr = (node, mathjax)  # type: ignore[attr-defined]


def render_page_maths(page: str, depth: int, setup: tuple[str, Path],
                      macros: dict[str, str]) -> str:
    """The page with its maths rendered (body, contents sidebar, everywhere) and no MathJax."""
    tags = find_tags(page)
    edits = _drop_mathjax_edits(page, tags)
    items = find_tex(page)
    if items:
        node, mathjax = setup
        rendered, css = render_tex(items, mathjax, macros, "../" * depth + FONT_DIR, node)
        edits += _replace_tex_edits(page, rendered)
        end = head_end(page)
        edits.append((end, end, f'<style id="course-math">{css}</style>\n'))
    return splice(page, edits)  # nothing is left for MathJax to typeset


def drop_mathjax(page: str) -> str:
    """Remove MathJax's configuration and loader scripts."""
    return splice(page, _drop_mathjax_edits(page, find_tags(page)))


def _drop_mathjax_edits(page: str, tags: list[Tag]) -> list[tuple[int, int, str]]:
    doomed = [
        t for t in tags if t.name == "script" and t.close_end and (
            "/mathjax/" in (t.attrs.get("src") or "")
            or t.inner().lstrip().startswith("window.MathJax =")
        )
    ]
    return _removals(page, doomed)


# ---------------------------------------------------------------------------------------
# Scripts and images, in the written HTML
# ---------------------------------------------------------------------------------------


def drop_icon_script(page: str) -> str:
    """Remove Font Awesome's 1.5 MB script: the theme's stylesheet already draws its icons.

    Upstream: pydata/pydata-sphinx-theme#2379 (the script's size) and #2115 (it blocks the
    first paint); pydata/pydata-sphinx-theme#2494 replaces it by a small one.
    """
    return splice(page, _drop_icon_script_edits(page, find_tags(page)))


def _drop_icon_script_edits(page: str, tags: list[Tag]) -> list[tuple[int, int, str]]:
    doomed = [t for t in tags if t.name == "script" and t.close_end
              and (t.attrs.get("src") or "").split("?")[0].endswith("/fontawesome.js")]
    return _removals(page, doomed)


def name_buttons_by_their_text(page: str) -> str:
    """Let the search and version buttons take their accessible names from the text they show.

    The theme labels them "Search" and "Version switcher list" while they show "Search Ctrl+K"
    and the version; speech-input users say what they see (WCAG 2.5.3, Label in Name).
    Upstream: the labels are set in pydata-sphinx-theme's ``search-button-field.html`` and
    ``version-switcher.html`` components; no issue about them was found there (December 2026).
    """
    return MISLABELLED_BUTTON.sub(lambda match: match["open"], page)


def fix_citation_roles(page: str) -> str:
    """Make bibliography entries list items of their ``role="list"`` container.

    Docutils marks them ``doc-biblioentry``, a role DPUB-ARIA 1.1 deprecates (w3c/dpub-aria#22:
    use list items instead) and that leaves the list without the items it must contain.
    """
    return splice(page, _fix_citation_roles_edits(find_tags(page)))


def _fix_citation_roles_edits(tags: list[Tag]) -> list[tuple[int, int, str]]:
    return [
        (t.start, t.open_end, t.raw.replace('role="doc-biblioentry"', 'role="listitem"'))
        for t in tags if t.attrs.get("role") == "doc-biblioentry"
    ]


def defer_scripts(page: str) -> str:
    """Add ``defer`` to every external script in the head that neither defers nor is async."""
    return splice(page, _defer_scripts_edits(page, find_tags(page)))


def _defer_scripts_edits(page: str, tags: list[Tag]) -> list[tuple[int, int, str]]:
    end = head_end(page)
    edits = []
    for tag in tags:
        src = tag.attrs.get("src")
        if tag.name != "script" or tag.start >= end or not src:
            continue
        if {"defer", "async"} & set(tag.attrs) or tag.attrs.get("type") == "module":
            continue
        if not any(name in src for name in KEEP_BLOCKING):
            edits.append((tag.start, tag.open_end, _with_attribute(tag, "defer")))
    return edits


def _tab_stop_edits(tags: list[Tag]) -> list[tuple[int, int, str]]:
    """Give each code block, table wrapper and HTML output a tab stop (course-tab-stops.js
    takes it away again from those that turn out not to scroll, once they are rendered)."""
    return [
        (t.start, t.open_end, _with_attribute(t, 'tabindex="0"'))
        for t in tags
        if (t.name == "pre" or (t.name == "div" and TAB_STOP_CLASSES & t.classes()))
        and "tabindex" not in t.attrs
    ]


def turn_off_theme_tab_stops(script: str) -> str:
    """The theme's script without its tab-stop pass (see the module's docstring).

    The call is overwritten by text of the same length, so that the script's source map still
    fits; a script already changed is returned as it is. A theme whose script does not end with
    the call is an error: this fix, and course-tab-stops.js, must then be checked against it.
    """
    if THEME_TAB_STOPS_OFF in script:
        return script
    found = list(THEME_TAB_STOPS.finditer(script))
    if len(found) != 1 or f"function {found[0]['name']}(){{" not in script:
        raise ValueError(
            f"{THEME_SCRIPT} does not end by calling its tab-stop pass as this fix expects "
            "(pydata-sphinx-theme changed?): update THEME_TAB_STOPS in course_pages.py"
        )
    call = found[0]
    replacement = THEME_TAB_STOPS_OFF.ljust(len(call[0]))
    return script[: call.start()] + replacement + script[call.end() :]


def png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of a PNG file, read from its header; None if it is not a PNG."""
    try:
        with path.open("rb") as stream:
            header = stream.read(24)
    except OSError:
        return None
    if len(header) < 24 or header[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def size_images(page: str, page_path: Path) -> str:
    """Give each local PNG image its size, lazy loading and asynchronous decoding."""
    return splice(page, _size_images_edits(find_tags(page), page_path))


def _size_images_edits(tags: list[Tag], page_path: Path) -> list[tuple[int, int, str]]:
    edits = []
    for tag in tags:
        src = tag.attrs.get("src") or ""
        remote = src.startswith(("data:", "http"))
        if tag.name != "img" or not src or remote or "loading" in tag.attrs:
            continue
        extra = 'loading="lazy" decoding="async"'
        size = png_size((page_path.parent / src).resolve())
        if size and "width" not in tag.attrs and "height" not in tag.attrs:
            extra += f' width="{size[0]}" height="{size[1]}"'
        closing = "/>" if tag.raw.endswith("/>") else ">"
        sized = tag.raw[: -len(closing)].rstrip() + f" {extra} {closing}"
        edits.append((tag.start, tag.open_end, sized))
    return edits


def _css_with_local_urls(css_path: Path, bundle_dir: Path, seen: set[Path]) -> str:
    """A stylesheet's text with its ``@import``s inlined and its ``url()``s made relative to
    ``bundle_dir`` (where the bundle will live)."""
    if css_path in seen:  # an import cycle: include each file once
        return ""
    seen.add(css_path)
    text = css_path.read_text(encoding="utf-8")

    def imported(match: re.Match) -> str:
        return _css_with_local_urls((css_path.parent / match["target"]).resolve(), bundle_dir, seen)

    def relocated(match: re.Match) -> str:
        target = match["target"]
        if target.startswith(("data:", "http:", "https:", "/", "#")):
            return match[0]
        path, _, suffix = target.partition("?")
        moved = os.path.relpath((css_path.parent / path).resolve(), bundle_dir)
        return f'url("{Path(moved).as_posix()}{"?" + suffix if suffix else ""}")'

    text = CSS_IMPORT.sub(imported, text)
    return CSS_URL.sub(relocated, text.replace("@charset \"UTF-8\";", ""))


def bundle_stylesheets(page: str, page_path: Path, site: Path,
                       icons: set[str] | None = None) -> str:
    """Replace the page's render-blocking stylesheets by one file with the same rules.

    Sixteen small stylesheets cost a phone on a slow network many round trips before the first
    paint; one bundle (named by its content, shared by every page with the same set) costs one.
    Given the icons the site uses, the bundle keeps the rules of those icons only.
    """
    return splice(page, _bundle_stylesheets_edits(page, find_tags(page), page_path, site, icons))


def _bundle_stylesheets_edits(page: str, tags: list[Tag], page_path: Path, site: Path,
                              icons: set[str] | None) -> list[tuple[int, int, str]]:
    end = head_end(page)
    links = [
        t for t in tags
        if t.name == "link" and t.start < end and "stylesheet" in (t.attrs.get("rel") or "").split()
        and t.attrs.get("media") != "print" and ":" not in (t.attrs.get("href") or ":")
    ]
    if len(links) < 2:
        return []
    sources = [(page_path.parent / link.attrs["href"].split("?")[0]).resolve() for link in links]
    if not all(source.is_file() for source in sources):
        return []
    bundle_dir = site / "_static"
    with _BUNDLES_LOCK:
        key = tuple(sources)
        if key not in _BUNDLES:
            text = "\n".join(
                f"/* {source.relative_to(site)} */\n"
                + _css_with_local_urls(source, bundle_dir, set())
                for source in sources
            )
            if icons:
                text = prune_icon_rules(text, icons)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
            bundle = bundle_dir / f"course-bundle-{digest}.css"
            bundle.write_text(text, encoding="utf-8")
            _BUNDLES[key] = bundle
        bundle = _BUNDLES[key]
    href = Path(os.path.relpath(bundle, page_path.parent)).as_posix()
    edits = _removals(page, links)
    edits[0] = (edits[0][0], edits[0][1], f'<link rel="stylesheet" href="{href}" />\n')
    return edits


# ---------------------------------------------------------------------------------------
# Icon fonts
# ---------------------------------------------------------------------------------------


def _icon_class(selector: str) -> str:
    """``fa-github`` for the selector ``.fa-github:before``."""
    return selector[1 : -len(":before")]


def icon_codepoints(css: str) -> dict[str, int]:
    """Font Awesome's icon classes and their code points, from a stylesheet that defines them."""
    icons = {}
    for rule in ICON_RULE.finditer(css):
        text = css_string_text(rule["content"])
        if len(text) != 1:
            continue  # not an icon of one character
        for selector in rule["selectors"].split(","):
            if selector:
                icons[_icon_class(selector)] = ord(text)
    return icons


def prune_icon_rules(css: str, keep: set[str]) -> str:
    """The stylesheet without the rules of icons not in ``keep`` (about 1,800 of them)."""

    def pruned(rule: re.Match) -> str:
        selectors = [s for s in rule["selectors"].split(",") if s and _icon_class(s) in keep]
        return f'{",".join(selectors)}{{content:"{rule["content"]}"}}' if selectors else ""

    return ICON_RULE.sub(pruned, css)


def _found_in_site(site: Path, suffixes: tuple[str, ...], find: Callable[[str], Iterable[Any]],
                   memo_path: Path | None) -> set[Any]:
    """Everything ``find`` finds in the site's files with these suffixes. With ``memo_path``,
    what was found in each file is kept there by the file's size and time, so that a rebuild
    reads only the files it wrote."""
    memo = read_json(memo_path) if memo_path else {}
    found: set[Any] = set()
    seen = {}
    for path in site.rglob("*"):
        if path.suffix not in suffixes or not path.is_file():
            continue
        state = path.stat()
        key, stamp = path.relative_to(site).as_posix(), [state.st_mtime_ns, state.st_size]
        entry = memo.get(key)
        if entry is None or entry[0] != stamp:
            text = path.read_text(encoding="utf-8", errors="replace")
            entry = [stamp, sorted(set(find(text)))]
        seen[key] = entry
        found.update(entry[1])
    if memo_path is not None and seen != memo:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        memo_path.write_text(json.dumps(seen), encoding="utf-8")
    return found


def icons_in_use(site: Path, cache: Path | None = None) -> set[str]:
    """Every ``fa-*`` class named by a page of the site or by one of its scripts (with
    ``cache``, a folder, a rebuild reads only the files it wrote)."""
    memo = cache / "icons-in-use.json" if cache is not None else None
    return _found_in_site(site, (".html", ".js"), ICON_NAME.findall, memo)


def css_content_characters(css: str) -> set[int]:
    """The code points of every ``content: "..."`` string in ``css`` (escapes decoded)."""
    found = set()
    for match in CSS_CONTENT.finditer(css):
        found.update(map(ord, css_string_text(match[1])))
    return found


def css_string_text(raw: str) -> str:
    """The text of a CSS string's contents, escapes decoded: ``\\2b `` and ``\\+`` are both
    ``+``."""
    return CSS_ESCAPE.sub(lambda e: chr(int(e[1], 16)) if e[1] else e[2], raw)


def maths_characters(page: str) -> set[int]:
    """The characters a page's typeset maths draws from MathJax's fonts: MathJax's CHTML
    output puts each one in a ``content`` rule of the page's maths stylesheet."""
    style = MATH_STYLE.search(page)
    return css_content_characters(style[1]) if style else set()


def subset_maths_fonts(site: Path, cache: Path) -> set[int]:
    """Cut MathJax's fonts in the site down to the characters its typeset maths uses; the
    characters kept. Cut from sphinx-mathjax-offline's copies, so a page with a new symbol
    gets it. MathJax sizes and places every character by its own tables, not by the font's,
    so the maths is laid out exactly as before."""
    source = mathjax_source()
    memo = cache / "maths-characters.json"
    used = _found_in_site(site, (".html",), maths_characters, memo)
    if source is None or not used:
        return set()
    from fontTools.ttLib import TTFont

    for font in sorted((source / MATHJAX_FONTS).glob("*.woff")):
        target = site / FONT_DIR / font.name
        # a font with none of the characters is left whole: an empty one is no valid font
        # (MathJax_Zero, first in every family list, holds only zero-width spaces)
        if target.is_file() and used & set(TTFont(font, lazy=True).getBestCmap()):
            subset_font(font, target, used, cache)
    return used


def subset_font(source: Path, target: Path, codepoints: set[int], cache: Path) -> None:
    """Write ``source`` cut down to ``codepoints`` to ``target`` (the cut is cached by input)."""
    from fontTools import subset

    digest = hashlib.sha256(source.read_bytes())
    digest.update(",".join(map(str, sorted(codepoints))).encode())
    cached = cache / f"{source.stem}-{digest.hexdigest()[:16]}{source.suffix}"
    if not cached.is_file():
        options = subset.Options()
        options.flavor = {".woff2": "woff2", ".woff": "woff"}.get(source.suffix)
        options.layout_features = ["*"]
        options.drop_tables += ["FFTM"]  # FontForge's timestamps (MathJax's fonts), unused
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints)
        subsetter.subset(font)
        cache.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".partial")
        subset.save_font(font, str(partial), options)
        partial.replace(cached)
    shutil.copyfile(cached, target)


def theme_icon_fonts() -> Path | None:
    """The folder of Font Awesome fonts that pydata-sphinx-theme ships, if it is installed."""
    try:
        import pydata_sphinx_theme
    except ImportError:
        return None
    folder = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    folder = folder / "static" / "vendor" / "fontawesome" / "webfonts"
    return folder if folder.is_dir() else None


def theme_icons(site: Path) -> dict[str, int]:
    """The icons the theme's stylesheet in ``site`` defines (none if it is not there)."""
    stylesheets = sorted((site / "_static" / "styles").glob("pydata-sphinx-theme*.css"))
    return icon_codepoints(stylesheets[0].read_text(encoding="utf-8")) if stylesheets else {}


def subset_icon_fonts(site: Path, cache: Path) -> set[str]:
    """Cut the site's Font Awesome fonts down to the icons it uses; the icons kept, by class.

    The fonts are cut from the theme's own copies, so a later build that shows one more icon
    gets it. Nothing is cut when the theme or its stylesheet cannot be found.
    """
    known = theme_icons(site)
    sources = theme_icon_fonts()
    used = {name for name in icons_in_use(site, cache) if name in known}
    if sources is None or not used:
        return set()
    codepoints = {known[name] for name in used}
    for name in ICON_FONTS:
        for suffix in (".woff2", ".ttf"):
            source, target = sources / (name + suffix), site / ICON_FONT_DIR / (name + suffix)
            if source.is_file() and target.is_file():
                subset_font(source, target, codepoints, cache)
    return used


def optimise_page(page_path: Path, site: Path, maths: tuple[str, Path] | None,
                  macros: dict[str, str], icons: set[str] | None = None,
                  done: FixedPages | None = None) -> None:
    """Apply every fix to one written page (idempotent: a fixed page is left as it is). With
    ``done``, a page Sphinx wrote again with the same text gets the fixed text it had before,
    without typesetting its maths again."""
    page = page_path.read_text(encoding="utf-8")
    if done is not None:
        known = done.fixed_text(page_path, page)
        bundles = BUNDLE_LINK.findall(known or "")
        if known is not None and all((page_path.parent / b).is_file() for b in bundles):
            page_path.write_text(known, encoding="utf-8")
            return
    improved = _optimised(page, page_path, site, maths, macros, icons)
    if improved != page:
        page_path.write_text(improved, encoding="utf-8")
    if done is not None:
        done.keep_fixed_text(page_path, page, improved)


def _optimised(page: str, page_path: Path, site: Path, maths: tuple[str, Path] | None,
               macros: dict[str, str], icons: set[str] | None) -> str:
    improved = name_buttons_by_their_text(page)
    tags = find_tags(improved)  # one parse for the fixes below: each edits other tags
    icon_script = _drop_icon_script_edits(improved, tags)
    removed = {start for start, _, _ in icon_script}
    edits = icon_script + _fix_citation_roles_edits(tags)
    edits += [e for e in _defer_scripts_edits(improved, tags) if e[0] not in removed]
    edits += _size_images_edits(tags, page_path)
    edits += _tab_stop_edits(tags)
    edits += _bundle_stylesheets_edits(improved, tags, page_path, site, icons)
    improved = splice(improved, edits)
    if maths is not None:
        depth = len(page_path.relative_to(site).parts) - 1
        improved = render_page_maths(improved, depth, maths, macros)
    return improved


def optimise_site(app: Sphinx, exception: Exception | None) -> None:
    """Fix every page of the site, rendering maths on both cores."""
    if exception is not None or app.builder.format != "html":
        return
    site = Path(app.outdir)
    maths = getattr(app.builder, "course_math_ssr", None)
    _BUNDLES.clear()  # stylesheets may have changed since an earlier build in this process
    macros = (app.config.mathjax3_config or {}).get("tex", {}).get("macros", {})
    cache = Path(app.outdir).parent / "icon-fonts"
    icons = subset_icon_fonts(site, cache)
    theme_script = site / THEME_SCRIPT
    if theme_script.is_file():
        try:
            script = theme_script.read_text(encoding="utf-8")
            changed = turn_off_theme_tab_stops(script)
        except ValueError as error:
            LOGGER.warning("%s", error)
        else:
            if changed != script:
                theme_script.write_text(changed, encoding="utf-8")
    done = FixedPages(cache / "fixed-pages.json", site, (maths is not None, sorted(icons)))
    pages = [p for p in site.rglob("*.html") if "_static" not in p.parts and not done.fixed(p)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        jobs = {pool.submit(optimise_page, p, site, maths, macros, icons, done): p
                for p in pages}
        for job, page_path in jobs.items():
            try:
                job.result()
            except MathRenderError as error:
                LOGGER.warning("%s: %s", page_path.relative_to(site), error)
            else:
                done.remember(page_path)
    done.save()
    if maths is not None:
        subset_maths_fonts(site, cache)


class FixedPages:
    """The pages already fixed, by size and time, so that a rebuild parses only those Sphinx
    wrote again; and the fixed text of each page, by the digest of what Sphinx wrote, so that
    a page written again unchanged (a prose edit of one chapter makes Sphinx write that page,
    the landing page and the execution report) is not typeset again. The memory is void
    when this module or what the fixes depend on changes, and it keeps the fixed texts of the
    site's current pages only."""

    def __init__(self, path: Path, site: Path, inputs: object) -> None:
        self.path, self.site = path, site
        self.texts = path.with_name(path.stem + "-texts")  # <digest>.html, one per page
        self.key = hashlib.sha256(Path(__file__).read_bytes() + repr(inputs).encode()).hexdigest()
        memo = read_json(path)
        same = memo.get("key") == self.key
        self.pages: dict[str, list[int]] = memo.get("pages", {}) if same else {}
        self.page_texts: dict[str, str] = memo.get("texts", {}) if same else {}
        self._lock = threading.Lock()

    def _state(self, page: Path) -> tuple[str, list[int]]:
        stat = page.stat()
        return page.relative_to(self.site).as_posix(), [stat.st_mtime_ns, stat.st_size]

    def _text_file(self, written: str) -> Path:
        digest = hashlib.sha256(self.key.encode() + written.encode("utf-8")).hexdigest()
        return self.texts / f"{digest[:32]}.html"

    def fixed(self, page: Path) -> bool:
        name, state = self._state(page)
        return self.pages.get(name) == state

    def fixed_text(self, page: Path, written: str) -> str | None:
        """The fixed text of ``page`` if an earlier build fixed the same ``written`` text."""
        stored = self._text_file(written)
        if stored.stem not in set(self.page_texts.values()):
            return None
        try:
            text = stored.read_text(encoding="utf-8")
        except OSError:
            return None
        with self._lock:
            self.page_texts[page.relative_to(self.site).as_posix()] = stored.stem
        return text

    def keep_fixed_text(self, page: Path, written: str, fixed: str) -> None:
        stored = self._text_file(written)
        self.texts.mkdir(parents=True, exist_ok=True)
        write_atomically(stored, fixed)
        with self._lock:
            self.page_texts[page.relative_to(self.site).as_posix()] = stored.stem

    def remember(self, page: Path) -> None:
        name, state = self._state(page)
        self.pages[name] = state

    def save(self) -> None:
        """Write the memory, and delete the fixed texts no page of the site has now."""
        self.page_texts = {page: text for page, text in self.page_texts.items()
                           if (self.site / page).is_file()}
        current = set(self.page_texts.values())
        if self.texts.is_dir():
            for stored in self.texts.iterdir():
                if stored.stem not in current:
                    stored.unlink()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        memo = {"key": self.key, "pages": self.pages, "texts": self.page_texts}
        self.path.write_text(json.dumps(memo), encoding="utf-8")


def drop_duplicate_scripts(context: dict[str, Any]) -> None:
    """Keep one copy of each inline script.

    No extension is set up twice: Sphinx 7 itself adds twice an inline script that an extension
    registers after the builder has started (sphinx-thebe's ``const THEBE_JS_URL = ...`` and
    sphinx-togglebutton's selector), once under the file name ``None`` and once under ``''``,
    and the repeated ``const`` is an error in the browser. Fixed upstream in Sphinx 8.2
    (sphinx-doc/sphinx#13402); Jupyter Book 1 keeps Sphinx below 8, so the copy is dropped here.
    """
    seen: set[tuple[str, str]] = set()
    unique = []
    for script in context.get("script_files", []):
        key = (script.filename or "", str(script.attributes.get("body", "")))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def on_html_page_context(app: Sphinx, pagename: str, templatename: str,
                         context: dict[str, Any], doctree: Any) -> None:
    drop_duplicate_scripts(context)


def on_config_inited(app: Sphinx, config: Any) -> None:
    """A valid default colour mode (the theme logs an error for an empty one) and a favicon."""
    config.html_context.setdefault("default_mode", "auto")
    if not config.html_favicon:
        config.html_favicon = str(FAVICON)


ROOT_REDIRECT = """\
<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="0; url={target}">
<link rel="canonical" href="{canonical}">
</head>
<body><p>The book begins at <a href="{target}">{title}</a>.</p></body>
</html>
"""


def root_redirect(config: Any) -> str:
    """The site's ``index.html`` when the book's first page is elsewhere: a page that sends the
    reader there, with the book's title and language, and the first page as its canonical
    address. (sphinx-external-toc writes a bare ``<meta>`` redirect, with no title for the
    browser's history or for a search engine, unless the file is already there.) No icon: the
    page is left at once, which cuts off the icon's request, and the first page has its own."""
    target = f"{config.root_doc}.html"
    title = html.escape(config.html_title or config.project)
    base = config.html_baseurl or ""
    canonical = (base.rstrip("/") + "/" + target) if base else target
    return ROOT_REDIRECT.format(language=config.language or "en", title=title, target=target,
                                canonical=html.escape(canonical))


def write_root_redirect(app: Sphinx, exception: Exception | None) -> None:
    """Write :func:`root_redirect` to the site's ``index.html`` (rewritten only if it changed)."""
    if exception is not None or app.builder.format != "html" or app.config.root_doc == "index":
        return
    index = Path(app.outdir) / "index.html"
    text = root_redirect(app.config)
    if not index.is_file() or index.read_text(encoding="utf-8") != text:
        write_atomically(index, text)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("course_render_math", True, "html")
    app.connect("config-inited", on_config_inited)
    app.add_css_file("course-pages.css")
    app.add_js_file("course-tab-stops.js")
    app.connect("builder-inited", on_builder_inited)
    # after sphinx.ext.mathjax (priority 500) has added its scripts to the page
    app.connect("html-page-context", on_html_page_context, priority=900)
    # before sphinx-external-toc's own redirect (priority 500), which it writes only if missing
    app.connect("build-finished", write_root_redirect, priority=450)
    app.connect("build-finished", optimise_site, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
