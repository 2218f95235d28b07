"""The built site in a real browser: every page loads cleanly, passes an accessibility audit,
fits a phone's width; search, launch buttons, maths and both colour themes work.

Run after the book build (``make site-tests``); see ``tests/browser.py`` for the browser.
"""

from __future__ import annotations

import json
import re

import pytest
from browser import (
    NODE_MODULES,
    REPO_ROOT,
    REPORTS,
    SITE,
    built_pages,
    launch_urls,
    missing,
    open_page,
)

import notebooks

pytestmark = pytest.mark.site

PAGES = built_pages() if SITE.is_dir() else ["index.html"]
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
# what an author writes around TeX; none of it may reach the reader unrendered
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{")
AXE_BLOCKING = {"serious", "critical"}
# What a phone may download to show a page (gzip, as served), before the reader scrolls. The
# icon fonts are cut down to the icons the site shows and the long chapters' animation frames
# load as files when they come into view (book/_ext/course_pages.py, course.plotting).
PAGE_WEIGHT_LIMIT_KIB = 600


def _axe(page, rules: list[str] | None = None) -> list[dict]:
    """Run axe-core in the page; its violations of ``rules``, by default of all its WCAG 2.1 A
    and AA rules and best practices."""
    if not AXE.is_file():
        missing("axe-core is not installed: run `make lint` (it installs the Node tools)")
    page.add_script_tag(path=str(AXE))
    options = {"resultTypes": ["violations"]}
    if rules is not None:
        options["runOnly"] = {"type": "rule", "values": rules}
    result = page.evaluate(
        """async options => {
            const result = await axe.run(document, options);
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
                count: v.nodes.length}));
        }""",
        options,
    )
    return result


def _record_axe(name: str, violations: list[dict]) -> None:
    """Keep every page's audit in _build/reports/axe/ (for the record of minor findings)."""
    folder = REPORTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / (name.replace("/", "__") + ".json")).write_text(json.dumps(violations, indent=1))


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_cleanly_and_passes_axe(browser, site_url, page_path):
    page, watch = open_page(browser, site_url + page_path, site_url)
    try:
        assert not watch.problems, "\n".join(watch.problems)
        text = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
        raw = RAW_TEX.search(text)
        assert raw is None, f"unrendered TeX near {text[max(raw.start() - 40, 0):raw.end() + 40]!r}"
        maths = page.eval_on_selector_all(".math", "els => els.length")
        rendered = page.eval_on_selector_all(".math mjx-container", "els => els.length")
        assert rendered == maths, f"{maths - rendered} of {maths} maths elements not rendered"
        violations = _axe(page)
        _record_axe(page_path, violations)
        blocking = [v for v in violations if v["impact"] in AXE_BLOCKING]
        assert not blocking, json.dumps(blocking, indent=1)
        missing_alt = page.eval_on_selector_all(
            "main img", "imgs => imgs.filter(i => !i.alt || /\\.(png|svg|jpe?g)$/.test(i.alt))"
            ".map(i => i.src)"
        )
        assert not missing_alt, f"images without a description: {missing_alt}"
    finally:
        page.context.close()


@pytest.mark.parametrize("page_path", PAGES)
def test_page_fits_a_phone(browser, site_url, page_path):
    page, watch = open_page(browser, site_url + page_path, site_url, **PHONE)
    try:
        assert not watch.problems, "\n".join(watch.problems)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px on a phone"
        weight = watch.transferred_bytes() / 1024
        assert weight <= PAGE_WEIGHT_LIMIT_KIB, (
            f"a phone downloads {weight:.0f} KiB to show the page (limit "
            f"{PAGE_WEIGHT_LIMIT_KIB} KiB)"
        )
    finally:
        page.context.close()


def _luminance(css_colour: str) -> float:
    """Relative luminance (0 black .. 1 white) of an ``rgb(...)``/``rgba(...)`` colour."""
    red, green, blue = (int(v) / 255 for v in re.findall(r"[\d.]+", css_colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page_path", ["book/intro.html", "book/hopfield.html"])
def test_colour_themes_render(browser, site_url, page_path, mode):
    context = browser.new_context(color_scheme=mode)
    context.add_init_script(f"localStorage.setItem('mode', '{mode}')")
    page = context.new_page()
    try:
        page.goto(site_url + page_path, wait_until="networkidle")
        assert page.evaluate("() => document.documentElement.dataset.theme") == mode
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        text = page.evaluate(
            "() => getComputedStyle(document.querySelector('main p')).color"
        )
        if mode == "dark":
            assert _luminance(background) < 0.2 < _luminance(text), (background, text)
        else:
            assert _luminance(text) < 0.2 < _luminance(background), (background, text)
        contrast = _axe(page, rules=["color-contrast"])
        assert not contrast, json.dumps(contrast, indent=1)
        page.screenshot(path=str(REPORTS / f"theme-{mode}-{page_path.replace('/', '__')}.png"))
    finally:
        context.close()


def test_search_finds_a_term_from_a_chapter(browser, site_url):
    term = "Hebbian"
    assert term in (REPO_ROOT / "book" / "hopfield.md").read_text(encoding="utf-8")
    page, watch = open_page(browser, f"{site_url}search.html?q={term}", site_url)
    try:
        page.wait_for_selector("#search-results li a", timeout=30_000)
        hits = page.eval_on_selector_all("#search-results li a", "as => as.map(a => a.href)")
        assert any(hit.split("#")[0].endswith("book/hopfield.html") for hit in hits), hits
        assert not watch.problems, "\n".join(watch.problems)
    finally:
        page.context.close()


def test_the_launch_menu_shows_binder_and_colab(browser, site_url):
    """The menu is the theme's (Bootstrap's dropdown), the same on every chapter: it opens here
    on one; test_site.py checks on every chapter that its links open that chapter's notebook."""
    chapter = notebooks.docname(notebooks.chapters()[0])  # a chapter with code: it has the menu
    page, _ = open_page(browser, f"{site_url}{chapter}.html", site_url, wait_until="load")
    try:
        page.click("button[aria-label='Launch interactive content']")
        binder = page.locator("a[href*='mybinder.org']").first
        colab = page.locator("a[href*='colab.research.google.com']").first
        assert binder.is_visible() and colab.is_visible()
        shown = (binder.get_attribute("href"), colab.get_attribute("href"))
        assert shown == launch_urls(chapter)
    finally:
        page.context.close()


TAB_STOP_STATE = """els => els.map(e => ({
    tab: e.tabIndex,
    scrolls: e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight,
    below: e.getBoundingClientRect().top > 3 * window.innerHeight}))"""


def test_code_gets_a_tab_stop_when_it_scrolls_measured_only_once_rendered(browser, site_url):
    """The theme's pass that measured every code block at load is off (it laid out the whole
    page, course_pages.py): blocks far below keep the build's tab stop until they are rendered,
    and then keep it only if they scroll."""
    page, watch = open_page(browser, site_url + "book/hopfield.html", site_url, **PHONE)
    try:
        assert not watch.problems, "\n".join(watch.problems)
        tabs_at_load = page.eval_on_selector_all("main pre", "els => els.map(e => e.tabIndex)")
        state = page.eval_on_selector_all("main pre", TAB_STOP_STATE)  # measuring renders all
        far = [i for i, s in enumerate(state) if s["below"]]
        assert far, "no code block far below the first screen: choose a longer page"
        assert all(tabs_at_load[i] == 0 for i in far), "blocks far below were measured at load"
        assert any(not state[i]["scrolls"] for i in far), "every block scrolls: nothing shown"
        last = far[-1]
        page.evaluate(f"() => document.querySelectorAll('main pre')[{last}].scrollIntoView()")
        page.wait_for_timeout(500)  # a few frames: the section is rendered, its blocks measured
        shown = page.eval_on_selector_all("main pre", TAB_STOP_STATE)[last]
        assert shown["tab"] == (0 if shown["scrolls"] else -1), shown
    finally:
        page.context.close()
