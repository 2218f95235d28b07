"""Architecture diagrams of the book's models, drawn with matplotlib in one style.

A few primitives (:func:`canvas`, :func:`box`, :func:`node`, :func:`arrow`, :func:`note`,
:func:`frame`) place boxes, operation nodes, arrows and labels on an axes whose data unit is one
inch, so every diagram has the same font size and line widths whatever its size. Then one
function per diagram returns its :class:`~matplotlib.figure.Figure`; each draws what the
course's code computes, with the code's names for the parts (``q_proj``, ``ln_f``, ...).

Colours are the Okabe-Ito palette of ``course.mplstyle`` (safe for colour-blind readers), one
per kind of part: data, learned layers, normalisation, attention, fixed operations, outputs. Paths
that must be told apart (the forward pass and the gradient, say) also differ in line style,
never in colour alone.

Every drawn text carries a ``gid`` that says what it is (``box-<i>-label`` inside box
``box-<i>``, ``note`` for a free label), so that tests can check that labels fit their boxes and
that no two labels overlap. Figures are made with :mod:`matplotlib.pyplot`, so that a notebook
shows them at the end of the cell that draws them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon
from matplotlib.path import Path
from matplotlib.text import Text

from .plotting import STYLE_FILE

Point = tuple[float, float]

# Okabe-Ito colours, the same as the cycle of course.mplstyle
BLUE, VERMILION, GREEN, PURPLE = "#0072B2", "#D55E00", "#009E73", "#CC79A7"
ORANGE, SKY, YELLOW, INK = "#E69F00", "#56B4E9", "#F0E442", "#222222"

ROLES: dict[str, tuple[str, str]] = {
    # role: (fill, edge); light fills so that black text keeps its contrast
    "data": ("#DDEFFA", BLUE),  # tensors and states
    "layer": ("#FBEBC8", "#A86F00"),  # learned layers
    "norm": ("#CDEEE3", "#00785A"),  # LayerNorm
    "attention": ("#F5DDEA", "#A0507E"),  # attention
    "op": ("#EEEEEE", "#555555"),  # fixed operations: products, scaling, softmax, sums
    "output": ("#FAF4C0", "#8A7F00"),  # what comes out
}

ARROWS: dict[str, dict[str, object]] = {
    "forward": {"color": INK, "linestyle": "-"},
    "gradient": {"color": VERMILION, "linestyle": (0, (4, 2.5))},
    "residual": {"color": BLUE, "linestyle": "-"},
    "weights": {"color": PURPLE, "linestyle": "-"},
    "tied": {"color": GREEN, "linestyle": (0, (1.5, 2))},
    "compare": {"color": "#666666", "linestyle": (0, (1.5, 2))},
}

FONT_SIZE = 10
NOTE_SIZE = 9
LINE_WIDTH = 1.4


@contextmanager
def _course_style() -> Iterator[None]:
    """The book's matplotlib style, also where no chapter has called ``setup`` (tests).

    The style context restores every setting on exit, but one may change inside it that must
    stay: Jupyter's inline backend switches interactive mode on when pyplot makes its first
    figure, and with it switched off again no later figure of the notebook would be shown.
    """
    with resources.as_file(resources.files(__package__) / STYLE_FILE) as path:
        with plt.style.context(str(path)):
            try:
                yield
            finally:
                interactive = matplotlib.is_interactive()
        matplotlib.interactive(interactive)


# ---------------------------------------------------------------------------------------------
# Primitives


@dataclass(frozen=True)
class Box:
    """Where a box or node sits: its centre, width and height in inches, and its shape."""

    x: float
    y: float
    width: float
    height: float
    round: bool = False

    @property
    def top(self) -> Point:
        return (self.x, self.y + self.height / 2)

    @property
    def bottom(self) -> Point:
        return (self.x, self.y - self.height / 2)

    @property
    def left(self) -> Point:
        return (self.x - self.width / 2, self.y)

    @property
    def right(self) -> Point:
        return (self.x + self.width / 2, self.y)

    def side(self, name: str, offset: float = 0.0) -> Point:
        """A point on side ``name`` (``top``, ``bottom``, ``left``, ``right``), moved by
        ``offset`` inches along that side (rightwards or upwards)."""
        x, y = getattr(self, name)
        return (x + offset, y) if name in ("top", "bottom") else (x, y + offset)

    def toward(self, point: Point) -> Point:
        """The point of the outline on the straight line from the centre to ``point``."""
        dx, dy = point[0] - self.x, point[1] - self.y
        if dx == dy == 0:
            raise ValueError("the point is the centre of the box; there is no direction to it")
        if self.round:
            r = self.width / 2 / math.hypot(dx, dy)
            return (self.x + r * dx, self.y + r * dy)
        scale = min(
            self.width / 2 / abs(dx) if dx else math.inf,
            self.height / 2 / abs(dy) if dy else math.inf,
        )
        return (self.x + scale * dx, self.y + scale * dy)


def canvas(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of ``width`` x ``height`` inches whose axes fill it, one data unit an inch."""
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive inches, got {width}, {height}")
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    _blank(ax, width, height)
    return fig, ax


def _blank(ax: Axes, width: float, height: float) -> None:
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")


def _next_id(ax: Axes, kind: str) -> str:
    count = sum(1 for patch in ax.patches if str(patch.get_gid() or "").startswith(kind))
    return f"{kind}-{count}"


def box(
    ax: Axes,
    center: Point,
    text: str,
    *,
    size: tuple[float, float] = (1.3, 0.45),
    role: str = "layer",
    dashed: bool = False,
    stacked: bool = False,
    fontsize: float = FONT_SIZE,
) -> Box:
    """A rounded box of ``size`` (inches) centred at ``center`` with ``text`` in it, coloured by
    its ``role`` (a key of :data:`ROLES`); ``dashed`` draws its outline dashed (optional parts),
    ``stacked`` draws two more boxes behind it (a stack of identical layers)."""
    fill, edge = _role(role)
    width, height = size
    gid = _next_id(ax, "box")
    for depth in (2, 1) if stacked else ():
        shift = 0.09 * depth
        ax.add_patch(FancyBboxPatch(
            (center[0] - width / 2 + shift, center[1] - height / 2 + shift), width, height,
            boxstyle="round,pad=0,rounding_size=0.07", facecolor=fill, edgecolor=edge,
            linewidth=LINE_WIDTH, zorder=2, gid=f"{gid}-behind",
        ))
    patch = FancyBboxPatch(
        (center[0] - width / 2, center[1] - height / 2), width, height,
        boxstyle="round,pad=0,rounding_size=0.07", facecolor=fill, edgecolor=edge,
        linewidth=LINE_WIDTH, linestyle=(0, (4, 2)) if dashed else "-", zorder=2, gid=gid,
    )
    ax.add_patch(patch)
    _label(ax, center, text, fontsize, f"{gid}-label")
    return Box(center[0], center[1], width, height)


def node(
    ax: Axes, center: Point, symbol: str, *, radius: float = 0.17, role: str = "op",
    fontsize: float = FONT_SIZE + 1,
) -> Box:
    """A circle with an operation's ``symbol`` in it (``+``, ``×``, ``σ``, ``Σ``, ...)."""
    fill, edge = _role(role)
    gid = _next_id(ax, "node")
    ax.add_patch(Circle(center, radius, facecolor=fill, edgecolor=edge, linewidth=LINE_WIDTH,
                        zorder=2, gid=gid))
    _label(ax, center, symbol, fontsize, f"{gid}-label")
    return Box(center[0], center[1], 2 * radius, 2 * radius, round=True)


def trapezoid(
    ax: Axes, center: Point, width: float, heights: tuple[float, float], text: str,
    *, role: str = "layer", fontsize: float = FONT_SIZE,
) -> Box:
    """A trapezoid whose left and right sides are ``heights`` tall: a layer that changes the
    width of what passes through it (an encoder narrows, a decoder widens)."""
    fill, edge = _role(role)
    x, y = center
    left, right = heights[0] / 2, heights[1] / 2
    corners = [(x - width / 2, y - left), (x + width / 2, y - right),
               (x + width / 2, y + right), (x - width / 2, y + left)]
    gid = _next_id(ax, "box")
    ax.add_patch(Polygon(corners, closed=True, facecolor=fill, edgecolor=edge,
                         linewidth=LINE_WIDTH, joinstyle="round", zorder=2, gid=gid))
    _label(ax, center, text, fontsize, f"{gid}-label")
    return Box(x, y, width, max(heights))


def _role(role: str) -> tuple[str, str]:
    if role not in ROLES:
        raise ValueError(f"role must be one of {sorted(ROLES)}, got {role!r}")
    return ROLES[role]


def _label(ax: Axes, xy: Point, text: str, fontsize: float, gid: str) -> Text:
    return ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, color="black",
                   linespacing=1.35, zorder=4, gid=gid)


def arrow(
    ax: Axes,
    *points: Point,
    kind: str = "forward",
    head: bool = True,
    both: bool = False,
    rad: float = 0.0,
    label: str | None = None,
    label_at: float = 0.5,
    label_offset: Point = (0.0, 0.12),
    label_align: str = "center",
    label_color: str | None = None,
) -> FancyArrowPatch:
    """An arrow through ``points`` (two or more, in inches), straight segments, or one arc
    bent by ``rad`` between two points. ``kind`` (a key of :data:`ARROWS`) sets colour and line
    style; ``label``, if given, is placed at fraction ``label_at`` of the first segment (of the
    chord for an arc), moved by ``label_offset``."""
    if len(points) < 2:
        raise ValueError("an arrow needs at least two points")
    if kind not in ARROWS:
        raise ValueError(f"kind must be one of {sorted(ARROWS)}, got {kind!r}")
    style = ARROWS[kind]
    arrowstyle = "<|-|>" if both else "-|>" if head else "-"
    common = dict(arrowstyle=arrowstyle, mutation_scale=11, linewidth=LINE_WIDTH,
                  color=style["color"], linestyle=style["linestyle"], shrinkA=0, shrinkB=0,
                  zorder=1, capstyle="butt", joinstyle="miter")
    if len(points) == 2:
        patch = FancyArrowPatch(points[0], points[1], connectionstyle=f"arc3,rad={rad}",
                                **common)
    else:
        if rad:
            raise ValueError("rad bends a two-point arrow only")
        patch = FancyArrowPatch(path=Path(points), **common)
    patch.set_gid(f"arrow-{kind}")
    ax.add_patch(patch)
    if label is not None:
        (x0, y0), (x1, y1) = points[0], points[1]
        at = (x0 + label_at * (x1 - x0) + label_offset[0], y0 + label_at * (y1 - y0)
              + label_offset[1])
        note(ax, at, label, ha=label_align, color=label_color or _text_color(kind))
    return patch


def _text_color(kind: str) -> str:
    """Labels of coloured paths take the path's colour, unless it is too light to read."""
    return {"gradient": "#B04A00", "residual": BLUE, "tied": "#00785A",
            "weights": "#A0507E"}.get(kind, "black")


def note(
    ax: Axes, xy: Point, text: str, *, ha: str = "center", va: str = "center",
    fontsize: float = NOTE_SIZE, color: str = "black", **kwargs,
) -> Text:
    """A free label at ``xy``: a tensor's shape, a formula, a name from the code."""
    return ax.text(*xy, text, ha=ha, va=va, fontsize=fontsize, color=color, linespacing=1.3,
                   zorder=4, gid="note", **kwargs)


def frame(ax: Axes, lower_left: Point, size: tuple[float, float], label: str | None = None,
          *, label_side: str = "top") -> FancyBboxPatch:
    """A dashed grey rectangle around parts that belong together, with a ``label`` just
    inside its top-left corner (``label_side="top"``) or below its bottom edge
    (``"bottom"``)."""
    gid = _next_id(ax, "frame")
    patch = FancyBboxPatch(lower_left, *size, boxstyle="round,pad=0,rounding_size=0.12",
                           facecolor="none", edgecolor="#8A8A8A", linewidth=1.1,
                           linestyle=(0, (5, 3)), zorder=0, gid=gid)
    ax.add_patch(patch)
    if label is not None:
        x, y = lower_left
        if label_side == "top":
            note(ax, (x + 0.1, y + size[1] - 0.08), label, ha="left", va="top", color="#444444")
        else:
            note(ax, (x + 0.1, y - 0.08), label, ha="left", va="top", color="#444444")
    return patch


def legend(
    ax: Axes, entries: Sequence[tuple[str, str]], loc: str = "lower right", ncols: int = 1
) -> None:
    """A legend of path kinds: ``(kind, text)`` pairs drawn as short lines."""
    handles = [Line2D([], [], color=ARROWS[kind]["color"], linestyle=ARROWS[kind]["linestyle"],
                      linewidth=LINE_WIDTH, label=text) for kind, text in entries]
    ax.legend(handles=handles, loc=loc, ncols=ncols, fontsize=NOTE_SIZE, frameon=False,
              handlelength=2.6, borderaxespad=0.1, columnspacing=2.5)


def _code_bracket(ax: Axes, x: float, y0: float, y1: float, name: str) -> None:
    """A bracket at ``x`` from ``y0`` to ``y1`` naming the function of the course that computes
    the steps beside it."""
    ax.plot([x + 0.08, x, x, x + 0.08], [y0, y0, y1, y1], color="#666666", linewidth=1.1,
            solid_capstyle="butt", zorder=1)
    note(ax, (x - 0.1, (y0 + y1) / 2), name, ha="right", family="monospace", color="#333333")


# ---------------------------------------------------------------------------------------------
# The diagrams


def scaled_dot_product_attention() -> Figure:
    """Scaled dot-product attention as data flow, as :func:`course.attention.attention_scores`
    and :func:`course.attention.attend` compute it: ``softmax(Q K^T / sqrt(d) + mask) V``."""
    with _course_style():
        fig, ax = canvas(6.1, 5.5)
        x, size, step = 3.3, (2.3, 0.46), 0.8
        q = box(ax, (x - 0.62, 0.35), "$Q$:  $T_q \\times d$", size=(1.1, 0.42), role="data")
        k = box(ax, (x + 0.62, 0.35), "$K$:  $T_k \\times d$", size=(1.1, 0.42), role="data")
        v = box(ax, (5.3, 0.35), "$V$:  $T_k \\times d_v$", size=(1.2, 0.42), role="data")
        labels = ["matrix product  $Q K^\\top$", "scale by  $1/\\sqrt{d}$",
                  "mask (optional):  $-\\infty$\nwhere not allowed", "softmax over the keys",
                  "matrix product with  $V$"]
        steps = []
        for i, label in enumerate(labels):
            height = 0.62 if "\n" in label else size[1]
            steps.append(box(ax, (x, 1.2 + i * step), label, size=(size[0], height), role="op",
                             dashed=label.startswith("mask")))
        out = box(ax, (x, 1.2 + len(labels) * step), "output:  $T_q \\times d_v$",
                  size=(1.8, 0.44), role="output")
        arrow(ax, q.top, steps[0].side("bottom", q.x - x))
        arrow(ax, k.top, steps[0].side("bottom", k.x - x))
        for lower, upper in zip([*steps, out][:-1], [*steps, out][1:], strict=True):
            arrow(ax, lower.top, upper.bottom)
        arrow(ax, v.top, (v.x, steps[-1].y), steps[-1].right)
        note(ax, (x + 0.12, (steps[0].y + steps[1].y) / 2), "scores:  $T_q \\times T_k$",
             ha="left")
        note(ax, (x + 0.12, (steps[3].y + steps[4].y) / 2), "weights, rows sum to 1",
             ha="left")
        _code_bracket(ax, 1.85, steps[0].bottom[1], steps[1].top[1], "attention_scores")
        _code_bracket(ax, 1.85, steps[2].bottom[1], steps[4].top[1], "attend")
    return fig


def multi_head_attention() -> Figure:
    """Multi-head attention as :class:`course.attention.MultiHeadAttention` computes it: three
    projections, a split into ``h`` heads of ``d/h`` channels, attention in every head,
    concatenation and the output projection."""
    with _course_style():
        fig, ax = canvas(7.2, 5.2)
        middle = 3.75
        x = box(ax, (middle, 0.35), "input $X$:  $T \\times d$", size=(2.0, 0.42), role="data")
        projections = [
            box(ax, (middle + dx, 1.25), f"Linear $W^{name}$\n$\\mathtt{{{code}}}$",
                size=(1.45, 0.62), role="layer")
            for dx, name, code in [(-1.9, "Q", "q\\_proj"), (0.0, "K", "k\\_proj"),
                                   (1.9, "V", "v\\_proj")]
        ]
        split = box(ax, (middle, 2.2), "split each into $h$ heads of $d/h$ channels",
                    size=(5.6, 0.42), role="op")
        heads = [
            box(ax, (middle + dx, 3.15), f"head ${i}$\nattention on\n$Q_{i}, K_{i}, V_{i}$",
                size=(1.35, 0.8), role="attention")
            for dx, i in [(-2.1, "1"), (-0.7, "2"), (2.1, "h")]
        ]
        note(ax, (middle + 0.7, 3.15), "$\\cdots$", fontsize=FONT_SIZE + 4)
        concat = box(ax, (middle, 4.1), "concatenate the heads:  $T \\times d$",
                     size=(5.6, 0.42), role="op")
        project = box(ax, (middle, 4.85), "Linear $W^O$  $\\mathtt{out\\_proj}$",
                      size=(2.4, 0.42), role="layer")
        out = box(ax, (6.35, 4.85), "output:  $T \\times d$", size=(1.5, 0.42), role="output")
        for projection in projections:
            if projection.x == middle:
                arrow(ax, x.top, projection.bottom)
            else:
                start = x.left if projection.x < middle else x.right
                arrow(ax, start, (projection.x, x.y), projection.bottom)
            arrow(ax, projection.top, (projection.x, split.bottom[1]))
        for head in heads:
            arrow(ax, (head.x, split.top[1]), head.bottom)
            arrow(ax, head.top, (head.x, concat.bottom[1]))
        arrow(ax, concat.top, project.bottom)
        arrow(ax, project.right, out.left)
    return fig


def _junction(ax: Axes, point: Point, kind: str = "residual") -> None:
    """A dot where a path splits in two."""
    ax.plot(*point, marker="o", markersize=5, color=ARROWS[kind]["color"], zorder=3)


# one half of a pre-norm block: the norm's label, the sub-layer's label, role and width, and
# the update it makes, written above it
Half = tuple[str, str, str, float, str]


def _pre_norm_block(halves: Sequence[Half], width: float) -> Figure:
    """A pre-norm block read from left to right: the residual stream ``x`` along the top, and
    for each of ``halves`` a branch through its norm and its sub-layer that is added back."""
    fig, ax = canvas(width, 2.45)
    stream, branch = 1.7, 0.5
    note(ax, (0.15, stream), "$x$", fontsize=FONT_SIZE + 1)
    start, split = (0.3, stream), 0.7
    for norm_label, f_label, f_role, f_width, formula in halves:
        norm = box(ax, (split + 0.2 + 0.475, branch), norm_label, size=(0.95, 0.55),
                   role="norm")
        f = box(ax, (norm.right[0] + 0.2 + f_width / 2, branch), f_label,
                size=(f_width, 0.8), role=f_role)
        add = node(ax, (f.right[0] + 0.25, stream), "+")
        arrow(ax, start, (split, stream), kind="residual", head=False)
        _junction(ax, (split, stream))
        arrow(ax, (split, stream), add.left, kind="residual",
              label="residual", label_offset=(0.0, 0.13))
        arrow(ax, (split, stream), (split, branch), norm.left)
        arrow(ax, norm.right, f.left)
        arrow(ax, f.right, (add.x, branch), add.bottom)
        note(ax, ((split + add.x) / 2, 2.25), formula)
        start, split = add.right, add.right[0] + 0.18
    arrow(ax, start, (width - 0.3, stream), kind="residual")
    note(ax, (width - 0.15, stream), "$x$", fontsize=FONT_SIZE + 1)
    return fig


def transformer_block() -> Figure:
    """The pre-LayerNorm transformer block of :class:`course.transformer.EncoderBlock` (the
    default ``norm_first=True``): ``x + self_attn(norm1(x))``, then ``x + ff(norm2(x))``."""
    with _course_style():
        return _pre_norm_block([
            ("LayerNorm\n$\\mathtt{norm1}$",
             "multi-head\nself-attention\n$\\mathtt{self\\_attn}$", "attention", 1.3,
             "$x \\leftarrow x + \\mathrm{attention}(\\mathrm{LN}_1(x))$"),
            ("LayerNorm\n$\\mathtt{norm2}$",
             "feed-forward\n$d \\to 4d \\to d$, GELU\n$\\mathtt{ff}$", "layer", 1.45,
             "$x \\leftarrow x + \\mathrm{FF}(\\mathrm{LN}_2(x))$"),
        ], width=7.75)


def modern_block() -> Figure:
    """The block of :class:`course.gpt.Block` at the end of the modernisation (a LLaMA-style
    decoder block): RMSNorm before each sub-layer, causal attention with rotary positions on
    the queries and keys and ``n_kv_head`` key-value heads, a SwiGLU feed-forward network and no
    biases: ``x + attn(ln1(x))``, then ``x + mlp(ln2(x))``."""
    with _course_style():
        return _pre_norm_block([
            ("RMSNorm\n$\\mathtt{ln1}$",
             "causal attention,\nRoPE, $G$ kv heads\n$\\mathtt{attn}$", "attention", 1.35,
             "$x \\leftarrow x + \\mathrm{attn}(\\mathrm{RMS}_1(x))$"),
            ("RMSNorm\n$\\mathtt{ln2}$",
             "SwiGLU\n$(\\mathrm{SiLU}(xW) \\odot xV)W_2$\n$\\mathtt{mlp}$", "layer", 1.45,
             "$x \\leftarrow x + \\mathrm{mlp}(\\mathrm{RMS}_2(x))$"),
        ], width=7.8)


def _embedded_tokens(ax: Axes, middle: float, ids_label: str, ids_at: tuple[float, float],
                     positions_x: float) -> tuple[Box, Box]:
    """The token ids (label, centre x and width ``ids_at``) and positions at the bottom, their
    two embeddings and the ``+`` that sums them at ``middle``; returns the token embedding's box
    (the tied head's rail starts there) and the sum's node."""
    ids = box(ax, (ids_at[0], 0.3), ids_label, size=(ids_at[1], 0.4), role="data")
    positions = box(ax, (positions_x, 0.3), "positions $0, \\dots, T-1$", size=(1.9, 0.4),
                    role="data")
    token = box(ax, (ids.x, 1.15), "token embedding\n$\\mathtt{token\\_embedding}$",
                size=(2.1, 0.62), role="layer")
    position = box(ax, (positions.x, 1.15),
                   "position embedding\n$\\mathtt{position\\_embedding}$", size=(2.1, 0.62),
                   role="layer")
    add = node(ax, (middle, 2.0), "+")
    arrow(ax, ids.top, token.bottom)
    arrow(ax, positions.top, position.bottom)
    arrow(ax, token.top, (token.x, add.y), add.left)
    arrow(ax, position.top, (position.x, add.y), add.right)
    return token, add


def _through_the_blocks(ax: Axes, add: Box, blocks: Box, final: Box) -> None:
    """The summed embeddings (``B x T x C``) into the stack of ``n_layer`` blocks, and the
    stack into the final LayerNorm."""
    note(ax, (add.x + 0.25, (add.y + blocks.bottom[1]) / 2), "$B \\times T \\times C$",
         ha="left")
    arrow(ax, add.top, blocks.bottom)
    arrow(ax, blocks.top, final.bottom)
    note(ax, (blocks.right[0] + 0.3, blocks.y), "$\\times N$\n$\\mathtt{n\\_layer}$",
         ha="left", fontsize=FONT_SIZE)


def _tied_rail(ax: Axes, token: Box, output: Box) -> None:
    """The rail on the left from the token embedding to the ``output`` layer that reuses its
    matrix (weight tying)."""
    rail = 0.55
    arrow(ax, token.left, (rail, token.y), (rail, output.y), output.left, kind="tied",
          head=False)
    note(ax, (rail - 0.14, (token.y + output.y) / 2),
         "the same $V \\times C$ matrix (weight tying)", rotation=90, color=_text_color("tied"))


def gpt() -> Figure:
    """The GPT of :class:`course.gpt.GPT`: token and learned position embeddings, ``n_layer``
    pre-LayerNorm blocks with causal self-attention, the final LayerNorm ``ln_f`` and a linear
    head whose weight is the token-embedding matrix, then a softmax over the vocabulary."""
    with _course_style():
        fig, ax = canvas(6.6, 6.05)
        middle = 3.55
        token, add = _embedded_tokens(ax, middle, "token ids:  $B \\times T$", (2.35, 1.8), 4.75)
        blocks = box(
            ax, (middle, 3.0),
            "pre-LayerNorm $\\mathtt{Block}$\n"
            "$x \\leftarrow x + \\mathtt{attn}(\\mathtt{ln1}(x))$, causal\n"
            "$x \\leftarrow x + \\mathtt{mlp}(\\mathtt{ln2}(x))$",
            size=(2.9, 0.92), role="attention", stacked=True,
        )
        final = box(ax, (middle, 4.1), "final LayerNorm  $\\mathtt{ln\\_f}$", size=(2.4, 0.42),
                    role="norm")
        head = box(ax, (middle, 4.85), "linear $\\mathtt{head}$:  $C \\to V$",
                   size=(2.4, 0.42), role="layer")
        softmax = box(ax, (middle, 5.75), "softmax over the $V$ tokens:\nnext-token probabilities",
                      size=(2.4, 0.58), role="output")
        _through_the_blocks(ax, add, blocks, final)
        arrow(ax, final.top, head.bottom)
        arrow(ax, head.top, softmax.bottom)
        note(ax, (middle + 0.12, (head.top[1] + softmax.bottom[1]) / 2),
             "logits:  $B \\times T \\times V$", ha="left")
        _tied_rail(ax, token, head)
    return fig


def encoder() -> Figure:
    """The encoder of :mod:`course.encoder`: token and learned position embeddings, ``n_layer``
    pre-LayerNorm blocks whose self-attention has no causal mask, the final LayerNorm ``ln_f``,
    and its two heads: the masked-language-model head of
    :class:`~course.encoder.MaskedLanguageModel` (dense, GELU, LayerNorm, then the tied
    embedding matrix, scored at the blanks) and the linear classifier of
    :class:`~course.encoder.EncoderClassifier` on the state of ``[CLS]``."""
    with _course_style():
        fig, ax = canvas(6.9, 6.4)
        middle = 3.75
        ids = ("$\\mathtt{[CLS]}$  $x_1 \\dots$ $\\mathtt{[MASK]}$ $\\dots x_n$  "
               "$\\mathtt{[SEP]}$")
        token, add = _embedded_tokens(ax, middle, ids, (2.45, 2.7), 5.25)
        blocks = box(
            ax, (middle, 3.0),
            "pre-LayerNorm $\\mathtt{EncoderBlock}$\n"
            "$x \\leftarrow x + \\mathtt{self\\_attn}(\\mathtt{norm1}(x))$\n"
            "no causal mask: every token sees both sides\n"
            "$x \\leftarrow x + \\mathtt{ff}(\\mathtt{norm2}(x))$",
            size=(3.3, 1.1), role="attention", stacked=True,
        )
        final = box(ax, (middle, 4.2), "final LayerNorm  $\\mathtt{ln\\_f}$",
                    size=(2.4, 0.42), role="norm")
        mlm = box(ax, (2.1, 5.05), "$\\mathtt{transform}$: dense,\nGELU, LayerNorm",
                  size=(1.9, 0.58), role="layer")
        classifier = box(ax, (5.4, 5.05), "linear $\\mathtt{classifier}$\non the state of "
                         "$\\mathtt{[CLS]}$", size=(2.1, 0.58), role="layer")
        scores = box(ax, (mlm.x, 5.95), "pre-training: scores over\nthe $V$ tokens at the "
                     "blanks", size=(2.3, 0.58), role="output")
        classes = box(ax, (classifier.x, 5.95), "fine-tuning: class\nlogits  $B \\times 2$",
                      size=(2.1, 0.58), role="output")
        _through_the_blocks(ax, add, blocks, final)
        split = 4.62
        arrow(ax, final.top, (middle, split), kind="forward", head=False)
        _junction(ax, (middle, split), kind="forward")
        arrow(ax, (middle, split), (mlm.x, split), mlm.bottom)
        arrow(ax, (middle, split), (classifier.x, split), classifier.bottom)
        arrow(ax, mlm.top, scores.bottom)
        arrow(ax, classifier.top, classes.bottom)
        _tied_rail(ax, token, scores)
    return fig


def unrolled_rnn() -> Figure:
    """A recurrent network ``h_t = phi(W h_{t-1} + x_t)`` unrolled over time: the forward pass
    from left to right, and backpropagation through time, which multiplies one Jacobian
    ``D_t W`` per step on its way back (dashed)."""
    with _course_style():
        fig, ax = canvas(7.4, 2.6)
        y, size = 1.6, (0.8, 0.5)
        steps = [(1.3, "1"), (2.45, "2"), (4.35, "T-1"), (5.5, "T")]
        states = [box(ax, (x, y), f"$h_{{{t}}}$", size=size, role="data") for x, t in steps]
        inputs = [box(ax, (x, 0.72), f"$x_{{{t}}}$", size=(0.62, 0.36), role="data")
                  for x, t in steps]
        loss = box(ax, (6.75, y), "loss $L$", size=(0.8, 0.5), role="output")
        dots = 3.4
        note(ax, (dots, y), "$\\cdots$", fontsize=FONT_SIZE + 4)
        note(ax, (0.3, y), "$h_0$", fontsize=FONT_SIZE + 1)
        ends = [(0.5, y), *[(s.left, s.right) for s in states[:2]], ((dots - 0.3, y),
                (dots + 0.3, y)), *[(s.left, s.right) for s in states[2:]], (loss.left,)]
        # the forward chain: h_0 -> h_1 -> h_2 -> ... -> h_{T-1} -> h_T -> L
        chain = [ends[0], *[p for pair in ends[1:-1] for p in pair], ends[-1][0]]
        for start, end in zip(chain[0::2], chain[1::2], strict=True):
            arrow(ax, start, end, label="$W$" if end != loss.left else None,
                  label_offset=(0.0, -0.13))
        for x_box, state in zip(inputs, states, strict=True):
            arrow(ax, x_box.side("top", -0.14), state.side("bottom", -0.14))
            arrow(ax, state.side("bottom", 0.14), x_box.side("top", 0.14), kind="gradient")
        # the way back: one factor per step
        top = y + size[1] / 2
        back = [(loss.x, "$\\partial L / \\partial h_T$"), (states[3].x, "$D_T W$"),
                (states[2].x, "$D_{T-1} W$"), (dots, "$D_3 W$"), (states[1].x, "$D_2 W$"),
                (states[0].x, None)]
        for (x0, label), (x1, _) in zip(back[:-1], back[1:], strict=True):
            start = (x0 - 0.12, top + (0.0 if x0 != dots else 0.1))
            end = (x1 + 0.12, top + (0.0 if x1 != dots else 0.1))
            arrow(ax, start, end, kind="gradient", rad=0.45)
            note(ax, ((x0 + x1) / 2, top + 0.42), label, color=_text_color("gradient"))
        legend(ax, [("forward", "forward pass: $h_t = \\phi(W h_{t-1} + x_t)$"),
                    ("gradient", "backpropagation through time")], loc="lower center", ncols=2)
    return fig


def lstm_cell() -> Figure:
    """One step of the LSTM as :func:`course.recurrent.lstm_step` computes it: the forget,
    input and output gates and the candidate read ``[h_{t-1}, x_t]``; the cell state runs along
    the top, ``c_t = f * c_{t-1} + i * g``, and ``h_t = o * tanh(c_t)``."""
    with _course_style():
        fig, ax = canvas(7.4, 3.6)
        cell, gate_y, bus = 3.0, 1.4, 0.72
        note(ax, (0.3, cell), "$c_{t-1}$", fontsize=FONT_SIZE + 1)
        note(ax, (7.1, cell), "$c_t$", fontsize=FONT_SIZE + 1)
        note(ax, (0.3, bus), "$h_{t-1}$", fontsize=FONT_SIZE + 1)
        note(ax, (7.1, gate_y), "$h_t$", fontsize=FONT_SIZE + 1)
        note(ax, (1.0, 0.12), "$x_t$", fontsize=FONT_SIZE + 1)
        size = (0.98, 0.6)
        gates = {
            name: box(ax, (x, gate_y), label, size=size, role="layer")
            for name, x, label in [
                ("f", 1.75, "forget gate\n$f_t = \\sigma(\\cdot)$"),
                ("i", 2.85, "input gate\n$i_t = \\sigma(\\cdot)$"),
                ("g", 3.95, "candidate\n$g_t = \\tanh(\\cdot)$"),
                ("o", 5.05, "output gate\n$o_t = \\sigma(\\cdot)$"),
            ]
        }
        forget = node(ax, (gates["f"].x, cell), "$\\times$")
        write = node(ax, ((gates["i"].x + gates["g"].x) / 2, 2.25), "$\\times$")
        add = node(ax, (write.x, cell), "+")
        squash = node(ax, (5.95, 2.3), "tanh", radius=0.23, fontsize=NOTE_SIZE)
        expose = node(ax, (squash.x, gate_y), "$\\times$")
        # the cell state along the top
        arrow(ax, (0.6, cell), forget.left, kind="residual")
        arrow(ax, forget.right, add.left, kind="residual")
        arrow(ax, add.right, (6.8, cell), kind="residual")
        _junction(ax, (squash.x, cell))
        arrow(ax, (squash.x, cell), squash.top)
        arrow(ax, squash.bottom, expose.top)
        note(ax, (4.35, cell + 0.38),
             "cell state:  $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$", color=BLUE,
             fontsize=FONT_SIZE)
        # the gates read h_{t-1} and x_t, and act on the cell
        arrow(ax, (0.6, bus), (gates["o"].x, bus), head=False)
        arrow(ax, (1.0, 0.3), (1.0, bus), head=False)
        _junction(ax, (1.0, bus), kind="forward")
        note(ax, (1.55, bus - 0.17), "$[h_{t-1}, x_t]$", ha="left")
        for name, gate in gates.items():
            if name != "o":
                _junction(ax, (gate.x, bus), kind="forward")
            arrow(ax, (gate.x, bus), gate.bottom)
        arrow(ax, gates["f"].top, forget.bottom)
        note(ax, (gates["f"].x + 0.12, 2.35), "$f_t$", ha="left")
        arrow(ax, gates["i"].top, (gates["i"].x, write.y), write.left)
        arrow(ax, gates["g"].top, (gates["g"].x, write.y), write.right)
        arrow(ax, write.top, add.bottom)
        note(ax, (write.x + 0.12, (write.top[1] + add.bottom[1]) / 2), "$i_t \\odot g_t$",
             ha="left")
        arrow(ax, gates["o"].right, expose.left)
        arrow(ax, expose.right, (6.85, gate_y))
        note(ax, (6.35, gate_y - 0.42), "$h_t = o_t \\odot \\tanh(c_t)$", fontsize=FONT_SIZE)
    return fig


def rnn_attention() -> Figure:
    """One decoder step of the encoder-decoder with additive attention of
    :class:`course.seq2seq.Seq2Seq` (``attention="additive"``, Bahdanau's RNNsearch): scores of
    every annotation ``h_j`` against ``s_{i-1}``, softmax weights, the context
    ``c_i = sum_j alpha_ij h_j`` and the GRU step that reads it."""
    with _course_style():
        fig, ax = canvas(7.45, 4.35)
        hy, middle = 1.0, 4.35
        xs = [3.0, 3.9, 4.8, 5.7]
        annotations = []
        for j, x in enumerate(xs, start=1):
            annotations.append(box(ax, (x, hy), f"$h_{j}$", size=(0.6, 0.42), role="data"))
            note(ax, (x, 0.18), f"$x_{j}$", fontsize=FONT_SIZE + 1)
            arrow(ax, (x, 0.33), annotations[-1].bottom)
        for left, right in zip(annotations[:-1], annotations[1:], strict=True):
            arrow(ax, left.side("right", 0.08), right.side("left", 0.08))
            arrow(ax, right.side("left", -0.08), left.side("right", -0.08))
        note(ax, (6.15, hy), "encoder:\nbidirectional GRU", ha="left")
        context = node(ax, (middle, 2.75), "$\\Sigma$")
        for j, h in enumerate(annotations, start=1):
            start = h.top
            end = context.toward(start)
            arrow(ax, start, end)
            at = 0.32
            side = -1 if h.x < middle else 1
            note(ax, (start[0] + at * (end[0] - start[0]) + side * 0.1,
                      start[1] + at * (end[1] - start[1])),
                 f"$\\alpha_{{i{j}}}$", ha="right" if side < 0 else "left",
                 color=_text_color("weights"))
        previous = box(ax, (1.5, 3.9), "$s_{i-1}$", size=(0.8, 0.45), role="data")
        score = box(ax, (1.5, 2.35),
                    "additive score, softmax over $j$\n"
                    "$e_{ij} = v_a^\\top \\tanh(W_a s_{i-1} + U_a h_j)$",
                    size=(2.75, 0.7), role="attention")
        decoder = box(ax, (middle, 3.9), "decoder GRU cell\n$s_i = f(s_{i-1}, y_{i-1}, c_i)$",
                      size=(2.2, 0.62), role="layer")
        output = box(ax, (6.55, 3.9), "output layer $g$\n$p(y_i \\mid y_{<i}, x)$",
                     size=(1.65, 0.62), role="output")
        arrow(ax, annotations[0].left, (score.x, hy), score.bottom, label="every $h_j$",
              label_at=0.5, label_offset=(0.0, 0.13))
        arrow(ax, previous.bottom, score.top)
        arrow(ax, previous.right, decoder.left)
        arrow(ax, score.right, context.toward(score.right), kind="weights",
              label="weights $\\alpha_{ij}$", label_at=0.45, label_offset=(0.0, -0.17))
        arrow(ax, context.top, decoder.bottom)
        note(ax, (middle + 0.12, (context.top[1] + decoder.bottom[1]) / 2),
             "context $c_i = \\Sigma_j\\, \\alpha_{ij} h_j$", ha="left")
        arrow(ax, (3.55, 3.2), (3.55, decoder.bottom[1]))
        note(ax, (3.55, 3.08), "$y_{i-1}$", fontsize=FONT_SIZE)
        arrow(ax, decoder.right, output.left)
    return fig


def _energy_sketch(x: np.ndarray) -> np.ndarray:
    """A made-up one-dimensional energy with two deep valleys and a shallow one between."""

    def valley(centre: float, width: float, depth: float) -> np.ndarray:
        return depth * np.exp(-0.5 * ((x - centre) / width) ** 2)

    return (0.012 * (x - 5.0) ** 2 - valley(2.2, 0.75, 1.0) - valley(7.7, 0.8, 0.9)
            - valley(5.0, 0.45, 0.35))


def hopfield() -> Figure:
    """Left, a Hopfield network as :mod:`course.hopfield` builds it: units with states ±1, every
    pair joined by one symmetric weight, no self-connections. Right, a sketch of its energy
    landscape: stored patterns at the bottom of valleys, and a query rolling down into one."""
    with _course_style():
        width, height, left = 7.4, 3.5, 3.5
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes((0, 0, left / width, 1))
        _blank(ax, left, height)
        centre, ring, n = (1.85, 1.85), 1.05, 6
        angles = np.pi / 2 + 2 * np.pi * np.arange(n) / n
        units = [node(ax, (centre[0] + ring * np.cos(a), centre[1] + ring * np.sin(a)),
                      f"$s_{i + 1}$", radius=0.22, role="data", fontsize=FONT_SIZE)
                 for i, a in enumerate(angles)]
        for i in range(n):
            for j in range(i + 1, n):
                a, b = units[i], units[j]
                kind = "weights" if (i, j) == (0, 1) else "forward"
                patch = arrow(ax, a.toward((b.x, b.y)), b.toward((a.x, a.y)), kind=kind,
                              head=False)
                if kind == "forward":
                    patch.set_color("#777777")
                    patch.set_linewidth(1.0)
        a, b = units[0], units[1]
        note(ax, ((a.x + b.x) / 2 - 0.2, (a.y + b.y) / 2 + 0.16), "$W_{12} = W_{21}$",
             ha="right", color=_text_color("weights"))
        note(ax, (centre[0], 3.45), "every pair joined, no self-connections", va="top")
        note(ax, (centre[0], 0.25), "$s_i \\in \\{-1, +1\\}$,   $W_{ij} = W_{ji}$,   $W_{ii} = 0$")

        plot = fig.add_axes((0.55, 0.19, 0.43, 0.7))
        x = np.linspace(0.0, 10.0, 400)
        energy = _energy_sketch(x)
        plot.plot(x, energy, color=BLUE, linewidth=1.8)
        plot.set(xlim=(0, 10), ylim=(energy.min() - 0.35, energy.max() + 0.35), xticks=[],
                 yticks=[])
        plot.grid(False)
        plot.set_xlabel("state $\\mathbf{s}$ (a cut through the $2^N$ states)",
                        fontsize=NOTE_SIZE)
        plot.set_ylabel("energy $E(\\mathbf{s})$", fontsize=NOTE_SIZE)
        for centre_x, label in [(2.2, "stored $\\xi^1$"), (7.7, "stored $\\xi^2$"),
                                (5.0, "spurious")]:
            bottom = x[np.argmin(np.where(np.abs(x - centre_x) < 0.6, energy, np.inf))]
            level = float(_energy_sketch(np.array([bottom]))[0])
            plot.plot(bottom, level, marker="o", markersize=4, color=INK)
            plot.text(bottom, level - 0.12, label, ha="center", va="top", fontsize=NOTE_SIZE,
                      gid="note")
        start, end = 3.3, 2.4
        path = np.linspace(start, end, 30)
        lift = 0.1
        trail = np.column_stack([path, _energy_sketch(path) + lift])
        plot.add_patch(FancyArrowPatch(path=Path(trail), arrowstyle="-|>", mutation_scale=11,
                                       linewidth=LINE_WIDTH, color=VERMILION, shrinkA=0,
                                       shrinkB=0, zorder=3))
        start_level = float(_energy_sketch(np.array([start]))[0])
        plot.plot(start, start_level + 0.06, marker="o", markersize=9, color=VERMILION,
                  markeredgecolor="white", zorder=4)
        plot.text(start + 0.2, start_level + 0.25, "query $\\mathbf{s}(0)$:\nupdates lower $E$",
                  ha="left", va="bottom", fontsize=NOTE_SIZE, color="#B04A00", gid="note")
    return fig


def autoencoder() -> Figure:
    """The fully connected :class:`course.autoencoders.Autoencoder`: the encoder narrows an
    image of ``D`` pixels to a code of ``K`` numbers, the decoder widens it back, and training
    compares the reconstruction with the input."""
    with _course_style():
        fig, ax = canvas(6.75, 2.95)
        y, tall, short = 1.75, 2.0, 0.62
        image = box(ax, (0.55, y), "input\n$\\mathbf{x}$\n$D$ pixels", size=(0.72, tall),
                    role="data")
        encoder = trapezoid(ax, (1.95, y), 1.7, (tall, short),
                            "encoder $f_\\theta$\nLinear $D \\to H$\nReLU\nLinear $H \\to K$")
        code = box(ax, (3.35, y), "code\n$\\mathbf{z}$", size=(0.72, short), role="data")
        decoder = trapezoid(ax, (4.75, y), 1.7, (short, tall),
                            "decoder $g_\\phi$\nLinear $K \\to H$\nReLU\nLinear $H \\to D$\n"
                            "sigmoid")
        rebuilt = box(ax, (6.15, y), "output\n$\\hat{\\mathbf{x}}$\n$D$ pixels", size=(0.72, tall),
                      role="output")
        for a, b in [(image, encoder), (encoder, code), (code, decoder), (decoder, rebuilt)]:
            arrow(ax, a.right, b.left)
        note(ax, (code.x, code.top[1] + 0.22), "bottleneck:\n$K$ numbers", va="bottom")
        low = 0.3
        arrow(ax, image.bottom, (image.x, low), (rebuilt.x, low), rebuilt.bottom,
              kind="compare", head=False)
        note(ax, (code.x, low + 0.17),
             "training: mean squared error between $\\mathbf{x}$ and $\\hat{\\mathbf{x}}$")
    return fig


def sinusoids() -> Figure:
    """The sinusoidal position encoding of :func:`course.positions.sinusoidal_table`: a few of
    its channels against the position, fast ones first, and the column of one position ``t``,
    read across the channels, which is the vector added to the token at ``t``."""
    from .positions import sinusoidal_table

    with _course_style():
        width, height, left = 7.4, 3.3, 5.0
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes((0, 0, 1, 1))
        _blank(ax, width, height)
        plot = fig.add_axes((0.15, 0.16, (left - 1.25) / width, 0.74))
        length, dim, t = 64, 16, 20
        table = sinusoidal_table(length, dim).numpy()  # (T, C)
        channels = [2, 3, 6, 7, 12]
        for row, channel in enumerate(channels):
            offset = 2.6 * (len(channels) - 1 - row)
            color = BLUE if channel % 2 == 0 else VERMILION
            plot.plot(np.arange(length), table[:, channel] + offset, color=color, linewidth=1.4)
            plot.plot(t, table[t, channel] + offset, marker="o", markersize=4, color=INK)
        plot.axvline(t, color="#666666", linestyle=(0, (1.5, 2)), linewidth=1.1)
        plot.set(xlim=(0, length - 1), ylim=(-1.4, 2.6 * (len(channels) - 1) + 1.4))
        plot.set_yticks([2.6 * (len(channels) - 1 - row) for row in range(len(channels))],
                        [f"channel {c}" for c in channels], fontsize=NOTE_SIZE)
        plot.tick_params(axis="x", labelsize=NOTE_SIZE)
        plot.grid(False)
        plot.set_xlabel("position $t$", fontsize=NOTE_SIZE)
        plot.set_title("sin in even channels, cos in odd ones", fontsize=NOTE_SIZE)
        column = box(ax, (6.2, 1.75), "$\\mathrm{PE}(t)$:\nthe dots at $t$,\nread top\nto bottom",
                     size=(1.6, 1.25), role="data")
        note(ax, (column.x, column.bottom[1] - 0.25),
             "$\\omega_i = 10000^{-2i/d}$", va="top")
        arrow(ax, (left + 0.05, 1.75), column.left)
    return fig


def rope_rotation() -> Figure:
    """Rotary position embedding in one channel pair, as :func:`course.positions.apply_rope`
    computes it: the query of position ``m`` is turned by ``m theta``, the key of position ``n``
    by ``n theta``, so the angle between them grows by ``(n - m) theta``."""
    from matplotlib.patches import Arc

    with _course_style():
        fig, ax = canvas(7.0, 3.6)
        origin, radius = (1.9, 1.75), 1.45
        ax.plot([origin[0] - 1.7, origin[0] + 1.7], [origin[1]] * 2, color="#BBBBBB",
                linewidth=0.9, zorder=0)
        ax.plot([origin[0]] * 2, [origin[1] - 1.6, origin[1] + 1.6], color="#BBBBBB",
                linewidth=0.9, zorder=0)

        def tip(angle: float, scale: float = 1.0) -> Point:
            return (origin[0] + scale * radius * math.cos(angle),
                    origin[1] + scale * radius * math.sin(angle))

        q, k, theta, m, n = 0.25, 0.75, 0.32, 1, 3
        for angle, kind, scale in [(q, "compare", 0.8), (q + m * theta, "forward", 0.8),
                                   (k, "compare", 1.0), (k + n * theta, "weights", 1.0)]:
            arrow(ax, origin, tip(angle, scale), kind=kind)
        for angle, scale, text in [(q, 0.8, "$q$"), (q + m * theta, 0.8, "$R_m q$"),
                                   (k, 1.0, "$k$"), (k + n * theta, 1.0, "$R_n k$")]:
            x, y = tip(angle, scale + 0.13)
            note(ax, (x, y), text, fontsize=FONT_SIZE)
        for start, turn, scale, text in [(q, m * theta, 0.42, "$m\\theta$"),
                                         (k, n * theta, 0.62, "$n\\theta$")]:
            ax.add_patch(Arc(origin, 2 * scale * radius, 2 * scale * radius,
                             theta1=math.degrees(start), theta2=math.degrees(start + turn),
                             color="#666666", linewidth=1.0))
            x, y = tip(start + turn / 2, scale + 0.14)
            note(ax, (x, y), text)
        ax.add_patch(Arc(origin, 2 * 0.25 * radius, 2 * 0.25 * radius,
                         theta1=math.degrees(q + m * theta), theta2=math.degrees(k + n * theta),
                         color=PURPLE, linewidth=1.6))
        explain = box(ax, (5.35, 2.25),
                      "score $\\langle R_m q, R_n k \\rangle$\n$= \\langle q, R_{n-m}\\, k"
                      " \\rangle$:\nthe angle between them\nis the old one $+ (n - m)\\theta$",
                      size=(2.85, 1.3), role="attention")
        note(ax, (explain.x, 0.95), "one pair of channels $(2i, 2i+1)$,\n"
             "$\\theta = \\theta_i = 10000^{-2i/D}$")
        note(ax, (explain.x, 0.35), "grey: before rotation; coloured: after")
    return fig
