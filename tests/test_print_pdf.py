"""The book's PDF (book/tools/print_pdf.py): the plan from the toc, and the printed PDFs."""

from __future__ import annotations

import re
from pathlib import Path

import layout
import print_pdf
import pytest
import yaml
from browser import built_pages
from layout import REPO_ROOT

SITE = REPO_ROOT / "_build" / "html"

# TeX between maths delimiters, as it would show if nothing typeset it (not code's regexes)
RAW_TEX = re.compile(r"\\[(\[][^\n]{0,80}?\\(frac|sum|mathbb|mathbf|sqrt|top|cdot|left)\b")
MIN_PAGES_PER_CHAPTER = 2  # the shortest chapters print on one or two pages, most on ten or more


# ---------------------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------------------


def test_outline_nests_chapters_in_parts_in_order(example_toc):
    chapters = layout.toc_chapters(example_toc)
    titles = ["Intro", "A", "B", "C", "C extra"]
    starts = [2, 4, 9, 12, 20]
    sections = [[], [("A one", 0), ("A two", 3)], [], [], []]
    plan = print_pdf.outline_plan(chapters, titles, starts, sections)
    assert [(item.title, item.page, item.bold) for item in plan] == [
        ("Intro", 2, False),
        ("Basics", 4, True),
        ("Labs", 12, True),
    ]
    basics = plan[1].children
    assert [(c.title, c.page) for c in basics] == [("A", 4), ("B", 9)]
    assert [(s.title, s.page) for s in basics[0].children] == [("A one", 4), ("A two", 7)]
    assert [c.title for c in plan[2].children] == ["C", "C extra"]


def test_outline_refuses_mismatched_lists(example_toc):
    chapters = layout.toc_chapters(example_toc)
    with pytest.raises(ValueError):
        print_pdf.outline_plan(chapters, ["only one"], [0])
    with pytest.raises(ValueError):
        print_pdf.outline_plan(chapters, ["t"] * 5, [0] * 5, [[]])


def test_slug_of_the_title():
    assert print_pdf.slugify("From Foundations to Transformers") == (
        "from-foundations-to-transformers"
    )
    with pytest.raises(ValueError):
        print_pdf.slugify("  !? ")


def test_a_missing_site_says_to_build_it(tmp_path, capsys):
    assert print_pdf.main([str(tmp_path / "nowhere")]) == 1
    assert "make book" in capsys.readouterr().err


def test_a_missing_chromium_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(print_pdf.CHROMIUM_ENV, raising=False)
    with pytest.raises(print_pdf.SetupError, match="apt-get install chromium"):
        print_pdf.find_chromium()
    with pytest.raises(print_pdf.SetupError, match="not found"):
        print_pdf.find_chromium(str(tmp_path / "no-such-browser"))


def test_a_site_lacking_a_chapter_is_refused(tmp_path, example_toc):
    (tmp_path / "index.html").write_text("<html></html>")
    chapters = layout.toc_chapters(example_toc)
    with pytest.raises(print_pdf.SetupError, match="book/a.html"):
        print_pdf.check_site(tmp_path, chapters)


def test_bad_arguments_exit_with_usage():
    with pytest.raises(SystemExit) as stopped:
        print_pdf.main([])
    assert stopped.value.code == 2


def test_a_page_is_reprinted_exactly_when_what_it_shows_changes(tmp_path):
    site = tmp_path / "html"
    (site / "book").mkdir(parents=True)
    (site / "_images").mkdir()
    page = site / "book" / "a.html"
    page.write_text('<img src="../_images/x.png"><a href="#top">top</a>')
    (site / "_images" / "x.png").write_bytes(b"one")
    chapter = print_pdf.Chapter("book/a", "Basics", 2)
    info = print_pdf.BookInfo("Book", "Us", "v1", print_pdf.datetime.date(2026, 1, 2), "")
    key = print_pdf.page_key(site, chapter, info)
    assert print_pdf.page_key(site, chapter, info) == key
    # another version or date alone does not reprint pages (only the front matter shows them)
    later = print_pdf.BookInfo("Book", "Us", "v2", print_pdf.datetime.date(2026, 2, 1), "")
    assert print_pdf.page_key(site, chapter, later) == key
    (site / "_images" / "x.png").write_bytes(b"two")  # an image it shows
    assert print_pdf.page_key(site, chapter, info) != key
    key = print_pdf.page_key(site, chapter, info)
    page.write_text(page.read_text() + "<p>more</p>")  # its own HTML
    assert print_pdf.page_key(site, chapter, info) != key
    moved = print_pdf.Chapter("book/a", "Basics", 3)  # its number is in every footer
    assert print_pdf.page_key(site, moved, info) != print_pdf.page_key(site, chapter, info)


def test_the_print_cache_gives_back_only_what_was_printed_for_the_key(tmp_path):
    cache = print_pdf.PrintCache(tmp_path / "prints")
    assert cache.get("a", "k1") is None
    cache.put("a", "k1", b"%PDF-1", title="A", sections=[["Intro", 0]], raw_tex=False)
    found = cache.get("a", "k1")
    assert found["data"] == b"%PDF-1" and found["title"] == "A"
    assert found["sections"] == [["Intro", 0]]
    assert cache.get("a", "k2") is None
    (tmp_path / "prints" / "a.pdf").unlink()  # a half-kept print is no print
    assert cache.get("a", "k1") is None


def test_the_version_is_dirty_for_sources_but_not_for_the_student_notebooks(tmp_path):
    import subprocess

    import gitinfo

    def git(*args: str) -> None:
        identity = ["-c", "user.name=Test", "-c", "user.email=test@example.org"]
        subprocess.run(["git", *identity, *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "a.md").write_text("# A\n")
    (tmp_path / "book" / "a.ipynb").write_text("{}\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    clean = gitinfo.describe(tmp_path, ignore=print_pdf.BUILD_WRITTEN)
    assert clean and not clean.endswith("-dirty")
    (tmp_path / "book" / "a.ipynb").write_text('{"cells": []}\n')  # as a build rewrites it
    assert gitinfo.describe(tmp_path, ignore=print_pdf.BUILD_WRITTEN) == clean
    assert gitinfo.describe(tmp_path) == clean + "-dirty"
    (tmp_path / "book" / "a.md").write_text("# A, edited\n")
    assert gitinfo.describe(tmp_path, ignore=print_pdf.BUILD_WRITTEN) == clean + "-dirty"
    assert gitinfo.describe(tmp_path, dirty=False) == clean


def test_the_version_is_dirty_when_git_cannot_say_what_changed(tmp_path, monkeypatch):
    import gitinfo

    def run_git(args: tuple[str, ...], cwd) -> str | None:
        return "v1-3-gabc1234" if args[0] == "describe" else None  # status fails

    monkeypatch.setattr(gitinfo, "_run_git", run_git)
    assert gitinfo.describe(tmp_path) == "v1-3-gabc1234-dirty"
    assert gitinfo.describe(tmp_path, dirty=False) == "v1-3-gabc1234"


def test_front_matter_lists_every_chapter_with_its_first_page(example_toc):
    chapters = layout.toc_chapters(example_toc)
    printed = [
        print_pdf.PrintedChapter(c, f"Title {c.number}", b"", [], False, 1) for c in chapters
    ]
    info = print_pdf.BookInfo("A <Book>", "Authors", "v1.2-3-gabc", _date(), "https://x.org/")
    page = print_pdf.front_matter_html(info, printed, [0, 1, 2, 3, 4, 5])
    assert "A &lt;Book&gt;" in page and "v1.2-3-gabc" in page and "2026-01-02" in page
    positions = [page.index(f"Title {c.number}") for c in chapters]
    assert positions == sorted(positions)
    assert "4-1" in page and page.count('class="part"') == 2


def _date():
    import datetime

    return datetime.date(2026, 1, 2)


def _printed_pdf(pages: int, dests: dict[str, int], image: bytes = b"") -> bytes:
    """A PDF like Chromium's print of a page: ``pages`` pages, named destinations in the
    document's ``Dests`` and a link to the first of them; ``image`` (one grey pixel's
    byte) drawn on every page."""
    import io

    import pikepdf

    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(200, 200))
    if image:
        for page in pdf.pages:
            pixel = pdf.make_stream(
                image,
                Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Image,
                Width=1,
                Height=1,
                ColorSpace=pikepdf.Name.DeviceGray,
                BitsPerComponent=8,
            )
            page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pixel))
            page.Contents = pdf.make_stream(b"q 10 0 0 10 0 0 cm /Im0 Do Q")
    pdf.Root.Dests = pikepdf.Dictionary(
        {
            "/" + name: pikepdf.Array([pdf.pages[page].obj, pikepdf.Name.XYZ, 0, 100, 0])
            for name, page in dests.items()
        }
    )
    if dests:
        link = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[0, 0, 10, 10],
            Dest=pikepdf.String(next(iter(dests))),
        )
        pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _outline(reader, items=None) -> list:
    """(title, page, bold, open) of each bookmark, children in a list after their parent."""
    found = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            found.append(_outline(reader, item))
        else:
            flags = int(item.get("/F", 0))
            count = int(item.get("/Count", 0))
            found.append(
                (item.title, reader.get_destination_page_number(item), flags == 2, count > 0)
            )
    return found


def test_sections_are_found_from_the_named_destinations():
    data = _printed_pdf(3, {"c2-intro": 0, "c2-maths": 2})
    wanted = [("Intro", "c2-intro"), ("Maths", "c2-maths"), ("Gone", "c2-gone")]
    assert print_pdf._section_pages(data, wanted) == [("Intro", 0), ("Maths", 2)]
    assert print_pdf._page_count(data) == 3


def test_the_book_joins_the_chapters_with_bookmarks_labels_and_links(example_toc):
    import io

    from pypdf import PdfReader

    chapters = layout.toc_chapters(example_toc)[:3]  # intro; a and b in part "Basics"
    prints = [
        _printed_pdf(1, {"c1-top": 0}, b"\x80"),
        _printed_pdf(2, {"c2-top": 0, "c2-figure": 1}, b"\x80"),  # the same image
        _printed_pdf(3, {"c3-top": 0, "c3-maths": 2}, b"\x10"),
    ]
    sections = [[], [("Figure", 1)], [("Maths", 2)]]
    printed = [
        print_pdf.PrintedChapter(c, f"Title {c.number}", data, parts, False, pages)
        for c, data, parts, pages in zip(chapters, prints, sections, (1, 2, 3), strict=True)
    ]
    info = print_pdf.BookInfo("Book", "Us", "v1", _date(), "")
    reader = PdfReader(io.BytesIO(print_pdf.book_pdf(printed, _printed_pdf(2, {}), info)))
    assert len(reader.pages) == 2 + 1 + 2 + 3
    assert reader.page_labels == ["i", "ii", "1-1", "2-1", "2-2", "3-1", "3-2", "3-3"]
    assert _outline(reader) == [
        ("Title page and contents", 0, False, False),
        ("Title 1", 2, False, False),
        ("Basics", 3, True, False),
        [
            ("Title 2", 3, False, False),
            [("Figure", 4, False, False)],
            ("Title 3", 5, False, False),
            [("Maths", 7, False, False)],
        ],
    ]
    # every destination, linked or not, leads to its page of the book
    named = {k: reader.get_destination_page_number(v) for k, v in reader.named_destinations.items()}
    assert named == {"/c1-top": 2, "/c2-top": 3, "/c2-figure": 4, "/c3-top": 5, "/c3-maths": 7}
    assert reader.metadata.title == "Book" and reader.metadata.author == "Us"
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"
    images = {page["/Resources"]["/XObject"].raw_get("/Im0").idnum for page in reader.pages[2:]}
    assert len(images) == 2, "the image the first two chapters share is in the book once"


def test_identical_streams_are_shared_and_counted_once():
    import io

    import pikepdf

    # three pages, each with its own copy of the same image and of the same drawing
    pdf = pikepdf.open(io.BytesIO(_printed_pdf(3, {}, b"\x80")))
    assert print_pdf.share_identical_streams(pdf) == 2 + 2
    images = {page.Resources.XObject.Im0.objgen for page in pdf.pages}
    assert len(images) == 1
    saved = io.BytesIO()
    pdf.save(saved)  # saving leaves out what nothing refers to
    assert print_pdf.share_identical_streams(pikepdf.open(saved)) == 0


def test_a_chapter_pdf_has_its_sections_and_its_page_labels(example_toc):
    import io

    from pypdf import PdfReader

    chapter = layout.toc_chapters(example_toc)[2]
    item = print_pdf.PrintedChapter(
        chapter, "B", _printed_pdf(3, {"c3-maths": 2}), [("Maths", 2)], False, 3
    )
    info = print_pdf.BookInfo("Book", "Us", "v1", _date(), "")
    reader = PdfReader(io.BytesIO(print_pdf.chapter_pdf(item, info)))
    assert reader.page_labels == ["3-1", "3-2", "3-3"]
    assert _outline(reader) == [("Maths", 2, False, False)]
    assert reader.metadata.title == "B — Book"


# ---------------------------------------------------------------------------------------
# The printed PDFs (after `make book`, which runs print_pdf.py)
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def toc_chapters() -> list[layout.Chapter]:
    return layout.read_toc()


@pytest.fixture(scope="module")
def book_path() -> Path:
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    path = SITE / print_pdf.PDF_DIR / f"{print_pdf.slugify(config['title'])}.pdf"
    if not path.is_file():
        pytest.skip(
            f"no book PDF at {path}: run `make pdf` (or `make book`) to print it "
            "(needs Chromium: apt-get install chromium)"
        )
    return path


@pytest.fixture(scope="module")
def book(book_path):
    from pypdf import PdfReader

    return PdfReader(book_path)


def _outline_titles(reader, items, depth=0) -> list[tuple[int, str]]:
    found = []
    for item in items:
        if isinstance(item, list):
            found += _outline_titles(reader, item, depth + 1)
        else:
            found.append((depth, item.title))
    return found


def _html_title(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    h1 = re.search(r"<h1>(.*?)</h1>", text, re.S)
    assert h1, f"no <h1> in {path}"
    plain = re.sub(r"<[^>]+>", "", h1.group(1))
    return re.sub(r"\s+", " ", plain.replace("#", "")).strip()


@pytest.mark.site
def test_the_book_has_pages_for_every_chapter(book, toc_chapters):
    assert len(book.pages) >= 1 + MIN_PAGES_PER_CHAPTER * len(toc_chapters)


@pytest.mark.site
def test_every_chapter_has_its_own_pdf(book_path, toc_chapters):
    missing = [c.pdf_name for c in toc_chapters if not (book_path.parent / c.pdf_name).is_file()]
    assert not missing, f"chapter PDFs missing: {missing}"


@pytest.mark.site
def test_the_outline_lists_every_chapter_in_toc_order(book, toc_chapters):
    import html

    titles = [title for depth, title in _outline_titles(book, book.outline)]
    expected = [html.unescape(_html_title(SITE / c.html_path)) for c in toc_chapters]
    positions = []
    for title in expected:
        assert title in titles, f"chapter {title!r} is not in the outline"
        positions.append(titles.index(title))
    assert positions == sorted(positions), "chapters are out of toc order in the outline"
    parts = [c.part for c in toc_chapters if c.part]
    top = [title for depth, title in _outline_titles(book, book.outline) if depth == 0]
    assert [p for p in dict.fromkeys(parts)] == [t for t in top if t in parts]


@pytest.mark.site
def test_each_chapter_bookmark_holds_its_sections(book, book_path, toc_chapters):
    from pypdf import PdfReader

    hopfield = next(c for c in toc_chapters if c.docname == "book/hopfield")
    text = (SITE / hopfield.html_path).read_text(encoding="utf-8")
    headings = re.findall(r"<section id=\"[^\"]+\">\s*<h2>(.*?)<a", text, re.S)
    expected = [re.sub(r"<[^>]+>|\s+", " ", h).strip() for h in headings]
    assert expected, "no sections found in the Hopfield page"
    outline = _outline_titles(book, book.outline)
    at = next(i for i, (depth, title) in enumerate(outline) if title.startswith("Hopfield"))
    depth = outline[at][0]
    below = []
    for level, title in outline[at + 1 :]:
        if level <= depth:
            break
        below.append(title)
    assert [" ".join(t.split()) for t in below] == [" ".join(t.split()) for t in expected]
    own = PdfReader(book_path.parent / hopfield.pdf_name)
    assert len(_outline_titles(own, own.outline)) == len(expected)


@pytest.mark.site
def test_the_text_has_chapter_titles_and_typeset_maths(book_path):
    import pypdfium2  # PDFium (C++) reads the text of every page in about a second; pypdf in 25

    document = pypdfium2.PdfDocument(book_path)
    try:
        text = "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    assert "Hopfield" in text
    raw = RAW_TEX.search(text)
    assert raw is None, f"raw TeX left in the PDF: {raw.group(0)!r}"
    # MathJax (or maths rendered at build time) prints symbols as text, e.g. the sum sign
    assert "∑" in text or "Σ" in text, "no typeset maths in the PDF's text"


def _font_names(page) -> set[str]:
    """The names of the fonts a PDF page draws with, subset prefixes (``ABCDEF+``) removed."""
    fonts = (page.get("/Resources") or {}).get("/Font") or {}
    names = {str(font.get_object().get("/BaseFont", "")) for font in fonts.values()}
    return {name.split("+")[-1] for name in names if name}


@pytest.mark.site
def test_no_text_is_drawn_in_a_fallback_serif_font(book):
    # The site sets no serif font: a serif in the print is Chromium's fallback for a character
    # missing from the font meant to draw it (the animation player's "+" once came out in
    # Liberation Serif because the cut Font Awesome lacked it; ℝ did when the maths font had
    # not loaded before the print)
    found = {}
    for number, page in enumerate(book.pages, 1):
        for name in _font_names(page):
            if re.search(r"(?<!Sans)Serif", name):
                found.setdefault(name, []).append(number)
    assert not found, f"fallback fonts in the PDF (font: pages): {found}"


@pytest.mark.site
def test_the_book_contains_images(book):
    with_images = 0
    for page in book.pages:
        resources = page.get("/Resources") or {}
        objects = resources.get("/XObject") or {}
        if any(obj.get_object().get("/Subtype") == "/Image" for obj in objects.values()):
            with_images += 1
    assert with_images >= 10, f"only {with_images} pages carry images"


@pytest.mark.site
def test_every_page_links_to_the_pdf(book_path, toc_chapters):
    """Every page of the site links to the book's PDF; chapter pages to their own PDF too."""
    chapters = {c.html_path: c for c in toc_chapters}
    pages = [SITE / page for page in built_pages(SITE)]
    assert pages
    for page in pages:
        relative = page.relative_to(SITE).as_posix()
        text = page.read_text(encoding="utf-8")
        if 'http-equiv="Refresh"' in text or 'http-equiv="refresh"' in text:
            continue  # the root index.html only redirects to the first chapter
        links = re.findall(r'href="([^"]+\.pdf)"', text)
        targets = set()
        for link in links:
            if link.startswith("/"):  # 404 page: absolute under the site's prefix
                link = link.split("/", 2)[-1]
                targets.add((SITE / link).resolve())
            else:
                targets.add((page.parent / link).resolve())
        assert book_path.resolve() in targets, f"{relative} does not link to the book's PDF"
        if relative in chapters:
            own = (book_path.parent / chapters[relative].pdf_name).resolve()
            assert own in targets, f"{relative} does not link to its chapter's PDF"
