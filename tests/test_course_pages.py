"""Unit tests of the page fixes in book/_ext/course_pages.py (maths, scripts, images, labels)."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import course_pages
import pytest

PAGE = (
    '<html><head><script src="a.js"></script></head><body>'
    '<p>Inline <span class="math notranslate nohighlight">\\(a &lt; b\\)</span> and</p>'
    '<div class="math notranslate nohighlight" id="equation-x">'
    '<span class="eqno">(1)</span>\\[\\R^{n}\\]</div></body></html>'
)


def _mathjax() -> Path:
    folder = course_pages.mathjax_source()
    if folder is None or shutil.which("node") is None:
        pytest.skip("needs Node.js and sphinx-mathjax-offline")
    return folder


def test_find_tex_unescapes_and_tells_inline_from_display():
    assert course_pages.find_tex(PAGE) == [
        {"tex": "a < b", "display": False},
        {"tex": "\\R^{n}", "display": True},
    ]


def test_replace_tex_keeps_the_equation_number_and_order():
    out = course_pages.replace_tex(PAGE, ["<i>one</i>", "<i>two</i>"])
    assert "<i>one</i></span>" in out and '<span class="eqno">(1)</span><i>two</i>' in out
    assert "\\(" not in out and "\\[" not in out


def test_render_page_maths_with_node_uses_the_macros_and_drops_mathjax():
    mathjax = _mathjax()
    page = PAGE.replace(
        "</head>",
        '<script>window.MathJax = {"tex": {}}</script>'
        '<script defer="defer" src="../_static/mathjax/tex-chtml.js?v=1"></script></head>',
    )
    out = course_pages.render_page_maths(page, 1, ("node", mathjax), {"R": "\\mathbb{R}"})
    assert out.count("<mjx-container") == 2
    assert "mjx-assistive-mml" in out  # MathML for screen readers
    assert '<style id="course-math">' in out and "../_static/mathjax/output/chtml" in out
    assert "window.MathJax" not in out and "tex-chtml.js" not in out
    assert course_pages.find_tex(out) == []  # nothing left: a second pass changes nothing


def test_bad_tex_is_an_error_that_quotes_it():
    mathjax = _mathjax()
    with pytest.raises(course_pages.MathRenderError, match="frac"):
        course_pages.render_tex([{"tex": "\\frac{1}{", "display": False}], mathjax, {}, "f")


def test_defer_scripts_leaves_inline_dependencies_and_the_body_alone():
    page = (
        '<head><script src="documentation_options.js?v=1"></script>'
        '<script src="doctools.js"></script><script async src="x.js"></script></head>'
        '<body><script src="late.js"></script></body>'
    )
    out = course_pages.defer_scripts(page)
    assert '<script src="documentation_options.js?v=1">' in out
    assert '<script defer src="doctools.js">' in out
    assert '<script async src="x.js">' in out and '<script src="late.js">' in out


def _png(path: Path, width: int, height: int) -> None:
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


def test_size_images_adds_size_and_lazy_loading(tmp_path):
    _png(tmp_path / "fig.png", 640, 480)
    page = '<img alt="A plot" src="fig.png" /><img src="data:image/png;base64,xx">'
    out = course_pages.size_images(page, tmp_path / "page.html")
    assert 'src="fig.png" loading="lazy" decoding="async" width="640" height="480"' in out
    assert '<img src="data:image/png;base64,xx">' in out
    assert course_pages.size_images(out, tmp_path / "page.html") == out
    assert course_pages.png_size(tmp_path / "missing.png") is None


def test_labels_roles_and_icon_script():
    page = (
        '<button class="btn search-button__button" title="Search" aria-label="Search">'
        '<script defer src="../_static/scripts/fontawesome.js?digest=1"></script>'
        '<div class="citation" id="c1" role="doc-biblioentry">'
    )
    out = course_pages.fix_citation_roles(
        course_pages.drop_icon_script(course_pages.name_buttons_by_their_text(page))
    )
    assert 'aria-label="Search"' not in out and 'title="Search"' in out
    assert "fontawesome.js" not in out
    assert 'role="listitem"' in out and "doc-biblioentry" not in out


def test_code_blocks_and_tables_get_a_tab_stop_from_the_build():
    page = (
        '<pre>x = 1</pre><pre tabindex="-1">y</pre>'
        '<div class="pst-scrollable-table-container"><table></table></div><div class="c">z</div>'
        '<div class="output text_html"><table></table></div>'
    )
    out = splice_tab_stops(page)
    assert '<pre tabindex="0">x = 1</pre><pre tabindex="-1">y</pre>' in out
    assert '<div tabindex="0" class="pst-scrollable-table-container">' in out
    assert '<div class="c">' in out and '<div tabindex="0" class="output text_html">' in out
    assert splice_tab_stops(out) == out


def splice_tab_stops(page: str) -> str:
    return course_pages.splice(page, course_pages._tab_stop_edits(course_pages.find_tags(page)))


def _theme_script() -> str:
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    return (theme / "static" / "scripts" / "pydata-sphinx-theme.js").read_text(encoding="utf-8")


def test_the_installed_themes_tab_stop_pass_is_turned_off_in_place():
    script = _theme_script()
    call = course_pages.THEME_TAB_STOPS.search(script)
    assert call is not None and "scrollWidth" in script
    off = course_pages.turn_off_theme_tab_stops(script)
    assert course_pages.THEME_TAB_STOPS.search(off) is None
    assert course_pages.THEME_TAB_STOPS_OFF in off
    assert len(off) == len(script)  # the source map's columns still fit
    assert off[: call.start()] == script[: call.start()]
    assert course_pages.turn_off_theme_tab_stops(off) == off


def test_a_theme_script_without_the_expected_call_is_an_error():
    with pytest.raises(ValueError, match="update THEME_TAB_STOPS"):
        course_pages.turn_off_theme_tab_stops("(()=>{window.addEventListener('load',f)})();")


def test_icon_codepoints_reads_shared_rules():
    css = '.fa-a:before{content:"\\f001"}.fa-b:before,.fa-c:before{content:"\\e0ff"}'
    assert course_pages.icon_codepoints(css) == {"fa-a": 0xF001, "fa-b": 0xE0FF, "fa-c": 0xE0FF}


def test_icons_drawn_as_plain_or_escaped_characters_are_read_and_pruned_too():
    # matplotlib's animation player shows fa-plus, which Font Awesome 6 draws as "+"
    css = '.fa-add:before,.fa-plus:before{content:"\\+"}.fa-k:before{content:"K"}'
    css += '.fa-0:before{content:"\\30 "}'
    assert course_pages.icon_codepoints(css) == {
        "fa-add": ord("+"), "fa-plus": ord("+"), "fa-k": ord("K"), "fa-0": ord("0")
    }
    assert course_pages.prune_icon_rules(css, {"fa-plus"}) == '.fa-plus:before{content:"\\+"}'


def test_icon_fonts_keep_exactly_the_icons_the_site_names(tmp_path):
    from fontTools.ttLib import TTFont

    sources = course_pages.theme_icon_fonts()
    site = tmp_path / "html"
    (site / course_pages.ICON_FONT_DIR).mkdir(parents=True)
    (site / "_static" / "styles").mkdir()
    theme_css = sources.parents[2] / "styles" / "pydata-sphinx-theme.css"
    shutil.copy(theme_css, site / "_static" / "styles")
    for name in ("fa-solid-900.woff2", "fa-brands-400.woff2"):
        shutil.copy(sources / name, site / course_pages.ICON_FONT_DIR)
    (site / "page.html").write_text('<i class="fa-brands fa-github"></i><i class="fa fa-plus">')
    (site / "_static" / "theme.js").write_text('icon.className = "fa-solid fa-magnifying-glass";')

    used = course_pages.subset_icon_fonts(site, tmp_path / "cache")

    assert {"fa-github", "fa-magnifying-glass"} <= used
    brands = site / course_pages.ICON_FONT_DIR / "fa-brands-400.woff2"
    assert brands.stat().st_size < (sources / "fa-brands-400.woff2").stat().st_size / 10
    cmap = TTFont(brands).getBestCmap()
    assert 0xF09B in cmap  # the GitHub mark is kept
    assert 0xF16C not in cmap  # Stack Overflow's is not named anywhere, so it is gone
    solid = TTFont(site / course_pages.ICON_FONT_DIR / "fa-solid-900.woff2").getBestCmap()
    assert 0xF002 in solid  # the magnifying glass, named only by a script
    assert ord("+") in solid  # fa-plus, whose rule names a plain character
    # a second build that names one more icon gets it: fonts are cut from the theme's copies
    (site / "page.html").write_text('<i class="fa-github"></i><i class="fa-stack-overflow"></i>')
    course_pages.subset_icon_fonts(site, tmp_path / "cache")
    assert 0xF16C in TTFont(brands).getBestCmap()


def test_prune_icon_rules_keeps_used_icons_and_valid_css():
    css = ('a{b:c}.fa-a:before,.fa-b:before{content:"\\f001"}.fa-c:before{content:"\\f002"}'
           '.x,.fa-d:before{content:"\\f003"}')
    pruned = course_pages.prune_icon_rules(css, {"fa-b", "fa-d"})
    assert pruned == 'a{b:c}.fa-b:before{content:"\\f001"}.x,.fa-d:before{content:"\\f003"}'


def test_icons_in_use_follow_edits_when_remembered(tmp_path):
    site, cache = tmp_path / "site", tmp_path / "cache"
    site.mkdir()
    page = site / "page.html"
    page.write_text('<i class="fa fa-github"></i>')
    (site / "theme.js").write_text('icon("fa-moon")')
    assert course_pages.icons_in_use(site, cache) == {"fa-github", "fa-moon"}
    assert (cache / "icons-in-use.json").is_file()
    page.write_text('<i class="fa fa-book"></i><i class="fa fa-file-pdf"></i>')
    assert course_pages.icons_in_use(site, cache) == {"fa-book", "fa-file-pdf", "fa-moon"}
    (site / "theme.js").unlink()
    assert course_pages.icons_in_use(site, cache) == {"fa-book", "fa-file-pdf"}
    assert course_pages.icons_in_use(site) == {"fa-book", "fa-file-pdf"}  # no memory at all


def test_fixed_pages_are_remembered_until_they_or_the_fixes_change(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    page = site / "page.html"
    page.write_text("<p>fixed</p>")
    memo = tmp_path / "fixed.json"
    done = course_pages.FixedPages(memo, site, ("maths", ["fa-book"]))
    assert not done.fixed(page)
    done.remember(page)
    done.save()
    again = course_pages.FixedPages(memo, site, ("maths", ["fa-book"]))
    assert again.fixed(page)
    assert not course_pages.FixedPages(memo, site, ("maths", ["fa-moon"])).fixed(page)
    page.write_text("<p>written again by Sphinx</p>")
    assert not again.fixed(page)


def test_a_page_written_again_unchanged_gets_its_fixed_text_without_fixing(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "_static").mkdir(parents=True)
    for name in ("a.css", "b.css"):
        (site / "_static" / name).write_text(f"/* {name} */ p {{ margin: 0 }}")
    page = site / "page.html"
    links = ('<link rel="stylesheet" href="_static/a.css" />'
             '<link rel="stylesheet" href="_static/b.css" />')
    written = f"<html><head>{links}</head><body><p>one</p></body></html>"
    fixes = []
    fix = course_pages._optimised
    monkeypatch.setattr(course_pages, "_optimised", lambda *a: fixes.append(1) or fix(*a))
    memo = tmp_path / "cache" / "fixed.json"

    def build(text: str) -> str:  # Sphinx writes the page, then the build fixes it
        page.write_text(text)
        course_pages._BUNDLES.clear()  # as optimise_site does at the start of each build
        done = course_pages.FixedPages(memo, site, (False, []))
        course_pages.optimise_page(page, site, None, {}, None, done)
        done.remember(page)
        done.save()
        return page.read_text()

    first = build(written)
    assert "course-bundle-" in first and len(fixes) == 1
    assert build(written) == first and len(fixes) == 1  # the same text: not fixed again
    build(written.replace("one", "two"))
    assert len(fixes) == 2
    assert len(list(memo.with_name("fixed-texts").iterdir())) == 1  # only the current page's
    for bundle in (site / "_static").glob("course-bundle-*.css"):
        bundle.unlink()  # a fresh site folder beside the old memory
    assert "course-bundle-" in build(written.replace("one", "two")) and len(fixes) == 3
    assert list((site / "_static").glob("course-bundle-*.css"))


def test_css_content_characters_decode_escapes_and_plain_text():
    css = ('mjx-c.mjx-c2211::before { content: "\\2211"; }'
           'mjx-c.mjx-c1D465.TEX-I::before { padding: 0 0 0 0; content: "x"; }'
           'mjx-c.mjx-c22::before { content: "\\""; } p { color: red }')
    assert course_pages.css_content_characters(css) == {0x2211, ord("x"), ord('"')}


def test_maths_fonts_keep_exactly_the_characters_the_pages_draw(tmp_path):
    from fontTools.ttLib import TTFont

    source = course_pages.mathjax_source() / course_pages.MATHJAX_FONTS
    site = tmp_path / "html"
    fonts = site / course_pages.FONT_DIR
    fonts.mkdir(parents=True)
    names = ("MathJax_Main-Regular.woff", "MathJax_AMS-Regular.woff", "MathJax_Zero.woff")
    for name in names:
        shutil.copy(source / name, fonts)
    (site / "page.html").write_text(
        '<head><style id="course-math">mjx-c.mjx-c2211::before { content: "\\2211"; }'
        'mjx-c.mjx-c78::before { content: "x"; }'
        'mjx-c.mjx-c1D53C.TEX-A::before { content: "E"; }</style></head><body></body>')
    used = course_pages.subset_maths_fonts(site, tmp_path / "cache")
    assert used == {0x2211, ord("x"), ord("E")}
    main = TTFont(fonts / "MathJax_Main-Regular.woff")
    assert main.flavor == "woff" and set(main.getBestCmap()) <= used | {0x20, 0xA0}
    assert ord("x") in main.getBestCmap() and ord("y") not in main.getBestCmap()
    assert (fonts / "MathJax_AMS-Regular.woff").stat().st_size < (
        source / "MathJax_AMS-Regular.woff").stat().st_size / 2
    # a font with none of the characters stays whole (an empty font fails to load)
    zero = (fonts / "MathJax_Zero.woff").read_bytes()
    assert zero == (source / "MathJax_Zero.woff").read_bytes()
    # a page that draws one more character gets it: fonts are cut from the shipped copies
    (site / "page.html").write_text('<style id="course-math">a::before{content:"y"}</style>')
    course_pages.subset_maths_fonts(site, tmp_path / "cache")
    assert ord("y") in TTFont(fonts / "MathJax_Main-Regular.woff").getBestCmap()


def test_the_root_page_sends_readers_to_the_first_chapter_with_a_title():
    from types import SimpleNamespace

    config = SimpleNamespace(root_doc="book/intro", html_title="Foundations & more",
                             project="p", html_baseurl="https://example.org/course/",
                             language="en")
    page = course_pages.root_redirect(config)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "<title>Foundations &amp; more</title>" in page
    assert '<meta http-equiv="refresh" content="0; url=book/intro.html">' in page
    assert '<link rel="canonical" href="https://example.org/course/book/intro.html">' in page
    assert '<a href="book/intro.html">' in page
    local = course_pages.root_redirect(SimpleNamespace(**{**vars(config), "html_baseurl": ""}))
    assert '<link rel="canonical" href="book/intro.html">' in local
