"""The architecture diagrams: each draws its parts, renders, keeps its labels apart and inside
their boxes, and every diagram cell of the book has a caption, a name and alt text."""

from __future__ import annotations

import io
import itertools
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from layout import REPO_ROOT
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

import freshness
from course import diagrams

# every public diagram, with texts it must show (substrings of its labels)
EXPECTED = {
    "scaled_dot_product_attention": ["$Q$", "$K$", "$V$", "matrix product  $Q K^\\top$",
                                     "$1/\\sqrt{d}$", "mask (optional)", "softmax",
                                     "matrix product with  $V$", "output", "attention_scores",
                                     "attend"],
    "multi_head_attention": ["q\\_proj", "k\\_proj", "v\\_proj", "split each into $h$ heads",
                             "head $1$", "head $h$", "concatenate", "out\\_proj", "output"],
    "transformer_block": ["norm1", "self\\_attn", "norm2", "ff", "residual", "GELU",
                          "\\mathrm{LN}_1", "\\mathrm{LN}_2"],
    "modern_block": ["RMSNorm", "ln1", "ln2", "attn", "RoPE", "kv heads", "SwiGLU",
                     "\\mathrm{SiLU}(xW)", "mlp", "residual", "\\mathrm{RMS}_1"],
    "gpt": ["token\\_embedding", "position\\_embedding", "Block", "causal", "ln\\_f",
            "head", "softmax", "weight tying", "n\\_layer"],
    "encoder": ["token\\_embedding", "position\\_embedding", "EncoderBlock", "no causal mask",
                "ln\\_f", "transform", "classifier", "[CLS]", "[MASK]", "blanks", "weight tying"],
    "unrolled_rnn": ["$h_{1}$", "$h_{T}$", "$x_{1}$", "loss $L$", "$D_T W$",
                     "backpropagation through time", "forward pass"],
    "lstm_cell": ["forget gate", "input gate", "output gate", "candidate", "cell state",
                  "$c_{t-1}$", "$h_t = o_t", "tanh"],
    "rnn_attention": ["$h_1$", "$h_4$", "$s_{i-1}$", "additive score", "\\alpha_{i1}",
                      "context $c_i", "decoder GRU", "bidirectional GRU", "$y_{i-1}$"],
    "hopfield": ["$s_1$", "$s_6$", "$W_{12} = W_{21}$", "stored $\\xi^1$", "spurious",
                 "energy", "query"],
    "sinusoids": ["channel 2", "channel 12", "position $t$", "$\\mathrm{PE}(t)$",
                  "10000^{-2i/d}"],
    "rope_rotation": ["$q$", "$R_m q$", "$R_n k$", "$m\\theta$", "$n\\theta$",
                      "R_{n-m}", "(n - m)\\theta"],
    "autoencoder": ["encoder $f_\\theta$", "decoder $g_\\phi$", "code", "bottleneck",
                    "output", "mean squared error"],
}
PAGE_WIDTH = 7.8  # inches: wider figures are shrunk on the page and their text with them


def public_diagrams() -> list[str]:
    """The names of the module's diagram functions: public, returning a Figure."""
    primitives = {"canvas", "box", "node", "trapezoid", "arrow", "note", "frame", "legend"}
    return sorted(
        name for name, value in vars(diagrams).items()
        if callable(value) and not name.startswith("_") and name not in primitives
        and getattr(value, "__module__", "") == diagrams.__name__
        and value.__annotations__.get("return") == "Figure"
    )


@pytest.fixture(params=sorted(EXPECTED))
def drawn(request):
    fig = getattr(diagrams, request.param)()
    yield request.param, fig
    plt.close(fig)


def texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text of the figure (labels, notes, axis labels, legends)."""
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def extents(fig: Figure) -> dict[Text, Bbox]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return {t: t.get_window_extent(renderer) for t in texts(fig)}


def overlapping(boxes: dict, tolerance: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of labels whose bounding boxes share more than ``tolerance`` pixels each way."""
    pairs = []
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if width > tolerance and height > tolerance:
            pairs.append((a.get_text(), b.get_text()))
    return pairs


def shapes(fig: Figure) -> dict[str, Bbox]:
    """The window extents of every box and node, by gid."""
    renderer = fig.canvas.get_renderer()
    found = {}
    for ax in fig.axes:
        for patch in ax.patches:
            gid = str(patch.get_gid() or "")
            if re.fullmatch(r"(box|node)-\d+", gid):
                found[gid] = patch.get_window_extent(renderer)
    return found


def test_every_diagram_is_tested():
    assert public_diagrams() == sorted(EXPECTED)


def test_diagram_draws_its_labels(drawn):
    name, fig = drawn
    assert isinstance(fig, Figure)
    shown = " | ".join(t.get_text() for t in texts(fig))
    missing = [label for label in EXPECTED[name] if label not in shown]
    assert not missing, f"{name} lacks {missing}"


def test_diagram_renders_to_png_at_page_width(drawn):
    name, fig = drawn
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = fig.get_size_inches()
    assert width <= PAGE_WIDTH and height <= 7, f"{name} is {width} x {height} inches"


def test_no_two_labels_overlap(drawn):
    name, fig = drawn
    assert not overlapping(extents(fig)), name


def test_labels_sit_inside_the_figure(drawn):
    name, fig = drawn
    page = fig.bbox
    outside = [t.get_text() for t, b in extents(fig).items()
               if b.x0 < page.x0 or b.y0 < page.y0 or b.x1 > page.x1 or b.y1 > page.y1]
    assert not outside, f"{name}: {outside}"


def test_box_labels_fit_their_boxes_and_free_labels_stay_out(drawn):
    name, fig = drawn
    boxes = extents(fig)
    outlines = shapes(fig)
    assert outlines, name
    for text, extent in boxes.items():
        gid = str(text.get_gid() or "")
        owner = gid.removesuffix("-label") if gid.endswith("-label") else None
        if owner is not None:
            outline = outlines[owner]
            assert (outline.x0 <= extent.x0 and extent.x1 <= outline.x1
                    and outline.y0 <= extent.y0 and extent.y1 <= outline.y1), (
                f"{name}: {text.get_text()!r} spills out of its box")
        for other, outline in outlines.items():
            if other != owner:
                assert not overlapping({text: extent, Text(text=other): outline}), (
                    f"{name}: {text.get_text()!r} covers {other}")


def test_the_checks_catch_what_they_look_for():
    fig, ax = diagrams.canvas(3.0, 1.0)
    diagrams.note(ax, (1.0, 0.5), "a long label")
    diagrams.note(ax, (1.2, 0.5), "another label")
    diagrams.note(ax, (2.9, 0.5), "cut off at the edge")
    assert overlapping(extents(fig))
    assert any(b.x1 > fig.bbox.x1 for b in extents(fig).values())
    small = diagrams.box(ax, (0.5, 0.2), "far too much text for this box", size=(0.3, 0.2))
    renderer = fig.canvas.get_renderer()
    label = next(t for t in texts(fig) if t.get_gid() == "box-0-label")
    assert label.get_window_extent(renderer).width > shapes(fig)["box-0"].width
    assert small.width == 0.3
    plt.close(fig)


def test_drawing_keeps_interactive_mode_switched_on_while_drawing():
    # Jupyter's inline backend switches it on at the first figure; were the style's context to
    # switch it off again, the notebook would show no later figure
    before = matplotlib.is_interactive()
    try:
        matplotlib.interactive(False)
        with diagrams._course_style():
            assert plt.rcParams["axes.spines.top"] is False
            matplotlib.interactive(True)
        assert matplotlib.is_interactive()
    finally:
        matplotlib.interactive(before)


def test_primitives_refuse_bad_input():
    fig, ax = diagrams.canvas(2.0, 2.0)
    with pytest.raises(ValueError, match="role"):
        diagrams.box(ax, (1, 1), "x", role="colourful")
    with pytest.raises(ValueError, match="two points"):
        diagrams.arrow(ax, (0, 0))
    with pytest.raises(ValueError, match="kind"):
        diagrams.arrow(ax, (0, 0), (1, 1), kind="wobbly")
    with pytest.raises(ValueError, match="positive"):
        diagrams.canvas(0, 1)
    plt.close("all")


def test_anchor_points_lie_on_the_outline():
    square = diagrams.Box(0.0, 0.0, 2.0, 1.0)
    assert square.toward((4.0, 0.0)) == (1.0, 0.0)
    assert square.toward((0.0, -3.0)) == (0.0, -0.5)
    assert square.side("top", 0.25) == (0.25, 0.5)
    circle = diagrams.Box(0.0, 0.0, 2.0, 2.0, round=True)
    x, y = circle.toward((3.0, 3.0))
    assert x == pytest.approx(2 ** -0.5) and y == pytest.approx(2 ** -0.5)


# ---------------------------------------------------------------------------------------------
# The diagrams in the book


def diagram_cells() -> list[tuple[str, dict, str]]:
    """(chapter, cell metadata, source) of every code cell of the book that draws a diagram."""
    found = []
    for path in sorted((REPO_ROOT / "book").glob("*.md")):
        if not freshness.is_notebook_source(path):
            continue
        for cell in freshness.read_chapter(path).cells:
            if cell.cell_type == "code" and "diagrams." in cell.source:
                found.append((path.stem, dict(cell.metadata), cell.source))
    return found


def test_every_diagram_is_in_the_book_with_caption_and_alt_text():
    cells = diagram_cells()
    drawn = set()
    for chapter, metadata, source in cells:
        calls = re.findall(r"diagrams\.(\w+)\(", source)
        assert calls and set(calls) <= set(EXPECTED), (chapter, source)
        drawn.update(calls)
        figure = metadata.get("mystnb", {}).get("figure", {})
        alt = metadata.get("mystnb", {}).get("image", {}).get("alt", "")
        name = figure.get("name", "")
        assert len(figure.get("caption", "").split()) >= 8, (chapter, calls)
        assert len(alt.split()) >= 15, (chapter, calls, "alt text must say what is drawn")
        assert name.startswith(f"fig-{chapter}-"), (chapter, name)
        text = (REPO_ROOT / "book" / f"{chapter}.md").read_text(encoding="utf-8")
        assert f"{{numref}}`{name}`" in text, f"{chapter} never refers to {name}"
    assert drawn == set(EXPECTED), f"not in the book: {sorted(set(EXPECTED) - drawn)}"
