"""The student notebooks' markdown is plain Jupyter Markdown (book/tools/plain_markdown.py)."""

from __future__ import annotations

import hashlib
import json

import nbformat
import plain_markdown as pm
import pytest
from layout import REPO_ROOT
from sphinx.directives.code import LiteralIncludeReader

import notebooks

CHAPTER = REPO_ROOT / "book" / "example.md"  # a chapter's place: includes are relative to book/
BASE = "https://example.org/course"


@pytest.fixture
def book() -> pm.Book:
    book = pm.Book(baseurl=BASE + "/", repository="https://github.com/o/r", branch="main")
    book.bibliography = notebooks.book_index().bibliography
    text = (
        "(sec-a)=\n# Section A\n\n"
        "```{exercise} Count it\n:label: ex-a\n\nCount.\n```\n\n"
        "```{prf:theorem} Big\n:label: thm-a\n\nTrue.\n```\n\n"
        "$$\nx = 1\n$$ (eq-a)\n"
    )
    pm.index_page(book, "book/other", text)
    cell = nbformat.v4.new_code_cell(
        "plot()",
        metadata={"mystnb": {"figure": {"caption": "A curve, $x^2$.", "name": "fig-a"},
                             "image": {"alt": "A rising curve."}}},
    )  # fmt: skip
    pm.index_page(book, "book/other", "", [cell])
    return book


def convert(book: pm.Book, *cells: str, glue: dict[str, str] | None = None) -> list[str]:
    converter = pm.Converter(book, CHAPTER, REPO_ROOT, (glue or {}).get)
    return [converter.markdown(cell) for cell in cells]


# ---------------------------------------------------------------- the generated notebooks


def test_every_notebook_is_valid_plain_markdown():
    for chapter in notebooks.chapters():
        nb = nbformat.read(notebooks.notebook_path(chapter), as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                assert pm.myst_leftovers(cell.source) == [], (chapter.name, cell.id)


def test_code_cells_are_the_chapters():
    """The execution cache matches code cells by source: they must be the chapter's."""
    for chapter in notebooks.chapters():
        nb = nbformat.read(notebooks.notebook_path(chapter), as_version=4)
        ours = [c for c in nb.cells if c.cell_type == "code"][notebooks.SETUP_CELLS :]
        source = [c for c in notebooks.freshness.read_chapter(chapter).cells
                  if c.cell_type == "code"]  # fmt: skip
        assert [c.source for c in ours] == [c.source for c in source], chapter.name
        assert [c.metadata for c in ours] == [c.metadata for c in source], chapter.name


def test_macros_are_defined_first():
    for chapter in notebooks.chapters():
        nb = nbformat.read(notebooks.notebook_path(chapter), as_version=4)
        assert nb.cells[1].cell_type == "markdown"
        assert nb.cells[1].source == r"$\newcommand{\R}{\mathbb{R}}$"


def test_every_captioned_figure_is_followed_by_its_caption():
    book = notebooks.book_index()
    for chapter in notebooks.chapters():
        nb = nbformat.read(notebooks.notebook_path(chapter), as_version=4)
        for cell, following in zip(nb.cells, nb.cells[1:], strict=False):
            name = pm.figure_name(cell)
            if name:
                assert following.source.startswith(f'<a id="{name}"></a>\n\n**Fig. ')
                assert f"**{book.figures[name].text}**" in following.source


def test_figures_are_numbered_through_the_book_in_reading_order():
    """Sphinx numbers figures on from page to page when no toctree is numbered."""
    figures = list(notebooks.book_index().figures.values())
    assert [f.text for f in figures] == [f"Fig. {n}" for n in range(1, len(figures) + 1)]
    pages = [f.page for f in figures]
    order = [c.docname for c in notebooks.layout.read_toc()]
    assert pages == sorted(pages, key=order.index)


# ---------------------------------------------------------------- the check itself


def test_leftover_check_catches_planted_myst():
    planted = "Text\n\n```{note}\nA note.\n```\n\nSee {ref}`sec-a`.\n\n(lbl)=\n## Heading"
    found = pm.myst_leftovers(planted)
    assert found == ["```{note}", "(lbl)=", "{ref}`sec-a`"]
    # inside code (a span or a fenced block) MyST is only text, as the page shows it
    assert pm.myst_leftovers("Write ``{ref}`x`` or\n\n```md\n{ref}`x`\n(l)=\n```\n") == []


def test_unknown_constructs_fail_loudly(book):
    with pytest.raises(ValueError, match="role {term}"):
        convert(book, "A {term}`thing`.")
    with pytest.raises(ValueError, match="{mermaid}"):
        convert(book, "```{mermaid}\ngraph\n```")


# ---------------------------------------------------------------- each conversion


def test_literalinclude_with_pyobject_is_a_code_block_as_sphinx_reads_it(book):
    (text,) = convert(book, "```{literalinclude} ../code/course/pca.py\n:language: python\n"
                      ":pyobject: fit_pca\n```")  # fmt: skip
    class Config:
        source_encoding = "utf-8-sig"

    expected, _ = LiteralIncludeReader(
        str(REPO_ROOT / "code/course/pca.py"), {"pyobject": "fit_pca"}, Config()
    ).read()
    head, code = text.split("\n\n", 1)
    assert head.startswith("From [`code/course/pca.py`](https://github.com/o/r/blob/main/"
                           "code/course/pca.py#L")  # fmt: skip
    assert head.endswith("), `fit_pca`:")
    assert code == f"```python\n{expected.rstrip()}\n```"
    start = int(head.split("#L")[1].split("-")[0])
    lines = (REPO_ROOT / "code/course/pca.py").read_text().splitlines()
    assert lines[start - 1] == expected.splitlines()[0]


def test_glued_values_are_formatted_as_myst_nb_does(book):
    assert pm.format_glued("0.123456", ".2f") == "0.12"
    assert pm.format_glued("12345", ",") == "12,345"
    assert pm.format_glued("'1,234'", "s") == "1,234"
    assert pm.format_glued("0.25", ".0%") == "25%"
    (text,) = convert(book, "MSE {glue:text}`mse:.3f`, {glue:text}`n`.",
                      glue={"mse": "0.01234", "n": "'a<b'"})  # fmt: skip
    span = f'<span class="glued" title="{pm.GLUE_TITLE}">'
    assert text == f"MSE {span}0.012</span>, {span}a&lt;b</span>."
    (unknown,) = convert(book, "{glue:text}`other:.2f`")
    assert unknown == f"{span}{pm.PLACEHOLDER}</span>"


def test_references_link_to_the_published_pages(book):
    (text,) = convert(book, "{ref}`sec-a`, {ref}`this one <ex-a>`, {numref}`fig-a`, "
                      "{numref}`Figure %s <fig-a>`, {prf:ref}`thm-a`, {eq}`eq-a`.")  # fmt: skip
    page = f"{BASE}/book/other.html"
    assert text == (
        f"[Section A]({page}#sec-a), [this one]({page}#ex-a), [Fig. 1]({page}#fig-a), "
        f"[Figure 1]({page}#fig-a), [Theorem 1]({page}#thm-a), [(1)]({page}#equation-eq-a)."
    )


def test_targets_become_anchors(book):
    (text,) = convert(book, "(sec-a)=\n# Section A")
    assert text == '<a id="sec-a"></a>\n# Section A'


def test_citations_are_author_year_as_the_page_writes_them(book):
    (text,) = convert(book, "{cite}`mikolov2013` and {cite:t}`mikolov2013`; "
                      "{cite:p}`bengio2003,mikolov2013`.")  # fmt: skip
    bib = f"{BASE}/book/bibliography.html"
    assert text == (
        f"\\[[Mikolov *et al.*, 2013]({bib})\\] and Mikolov *et al.* \\[[2013]({bib})\\]; "
        f"\\[[Bengio *et al.*, 2003]({bib}), [Mikolov *et al.*, 2013]({bib})\\]."
    )


def test_exercise_and_solution(book):
    exercise = "```{exercise} Count it\n:label: ex-a\n\nCount $x$.\n```"
    solution = "```{solution} ex-a\n:class: dropdown\n\nIt is {ref}`sec-a`.\n```"
    (text,) = convert(book, f"{exercise}\n\n{solution}")
    assert text == (
        '<a id="ex-a"></a>\n\n<blockquote>\n\n**Exercise 1** (Count it)\n\nCount $x$.\n\n'
        "</blockquote>\n\n"
        "<details>\n<summary><strong>Solution to Exercise 1 (Count it)</strong></summary>\n\n"
        f"It is [Section A]({BASE}/book/other.html#sec-a).\n\n</details>"
    )


def test_solution_start_and_end_wrap_the_code_cells_between(book):
    first, last = convert(
        book,
        "````{solution-start} ex-a\n:class: dropdown\n````\n\nThe count is:",
        "As printed.\n\n````{solution-end}\n````\n\n## Next",
    )
    assert first == (
        '**Solution to Exercise 1 (Count it)** (this text and the code cells below, down to '
        '"End of the solution")\n\n<details>\n<summary><strong>Solution</strong> (text)'
        "</summary>\n\nThe count is:\n\n</details>"
    )
    assert last == (
        "<details>\n<summary><strong>Solution</strong> (text)</summary>\n\nAs printed.\n\n"
        "</details>\n\n*End of the solution to Exercise 1 (Count it).*\n\n## Next"
    )


def test_theorem_proof_and_admonitions(book):
    (text,) = convert(book, "```{prf:theorem} Big\n:label: thm-a\n\nTrue.\n```\n\n"
                      "```{prf:proof}\nObvious.\n```\n\n"
                      "```{admonition} Learning goals\n:class: tip\n- one\n- two\n```\n\n"
                      "```{admonition} More\n:class: dropdown\nHidden.\n```\n\n"
                      "```{note}\nNoted.\n```")  # fmt: skip
    assert text == (
        '<a id="thm-a"></a>\n\n<blockquote>\n\n**Theorem 1** (Big)\n\nTrue.\n\n'
        "</blockquote>\n\n"
        "<blockquote>\n\n*Proof.* Obvious. ∎\n\n</blockquote>\n\n"
        "<blockquote>\n\n**Learning goals**\n\n- one\n- two\n\n</blockquote>\n\n"
        "<details>\n<summary><strong>More</strong></summary>\n\nHidden.\n\n</details>\n\n"
        "<blockquote>\n\n**Note**\n\nNoted.\n\n</blockquote>"
    )


def test_nested_directives_keep_their_indentation(book):
    (text,) = convert(book, "````{exercise} Count it\n:label: ex-a\n\n1. Read:\n\n"
                      "   ```{literalinclude} ../code/course/pca.py\n   :pyobject: fit_pca\n"
                      "   ```\n````")  # fmt: skip
    assert "\n   From [`code/course/pca.py`]" in text
    assert "\n   ```\n   def fit_pca(" in text


def test_labelled_equations_get_a_tag_and_an_anchor(book):
    (text,) = convert(book, "So\n\n$$\nx = 1\n$$ (eq-a)\n\nholds.")
    assert text == 'So\n\n<a id="equation-eq-a"></a>\n\n$$\nx = 1 \\tag{1}\n$$\n\nholds.'


def test_figure_caption_and_alt_text(book):
    cell = nbformat.v4.new_code_cell(
        "plot()",
        metadata={"mystnb": {"figure": {"caption": "A curve, {glue:text}`k`.", "name": "fig-a"},
                             "image": {"alt": "A rising curve."}}},
    )  # fmt: skip
    converter = pm.Converter(book, CHAPTER, REPO_ROOT, {"k": "3"}.get)
    assert converter.figure_caption(cell) == (
        f'<a id="fig-a"></a>\n\n**Fig. 1** A curve, <span class="glued" title="{pm.GLUE_TITLE}">'
        "3</span>.\n\n<details>\n<summary>Description of the figure</summary>\n\n"
        "A rising curve.\n\n</details>"
    )
    cell.metadata["tags"] = ["remove-cell"]
    assert converter.figure_caption(cell) is None


def test_downloads_link_where_sphinx_publishes_them(book):
    (text,) = convert(book, "{download}`vectors.tsv <_generated/e/vectors.tsv>`")
    digest = hashlib.md5(b"book/_generated/e/vectors.tsv").hexdigest()
    assert text == f"[vectors.tsv]({BASE}/_downloads/{digest}/vectors.tsv)"


def test_macros_cell():
    assert pm.macros_cell({"R": "\\mathbb{R}", "norm": ["\\lVert #1 \\rVert", 1]}) == (
        r"$\newcommand{\R}{\mathbb{R}} \newcommand{\norm}[1]{\lVert #1 \rVert}$"
    )
    assert pm.macros_cell({}) is None


def test_glue_keys_skip_code():
    assert pm.glue_keys("{glue:text}`a:.2f` ``{glue:text}`b`` {glue:text}`c`") == {"a", "c"}
    nested = "````{exercise} T\n:label: x\n\n```python\ns = '```'\n```\n\n{glue:text}`d`\n````"
    assert pm.glue_keys(nested) == {"d"}


def test_notebook_metadata_lists_the_glued_values():
    for chapter in notebooks.chapters():
        text = notebooks.notebook_path(chapter).read_text(encoding="utf-8")
        glued = json.loads(text)["metadata"]["course"]["glued"]
        pasted = notebooks.pasted_keys(chapter)
        assert set(glued) <= pasted
        assert set(glued) == pasted or notebooks.unbuilt_values()
