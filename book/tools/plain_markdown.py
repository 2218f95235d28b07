"""MyST markdown cells as plain Jupyter Markdown, for the student notebooks.

A student who opens a chapter's notebook on Colab, in JupyterLab or through nbconvert sees its
markdown cells rendered by a stock front end: CommonMark, GitHub tables, ``$``/``$$`` maths and
simple HTML. This module rewrites the MyST the chapters use into that, reading like the page:

- ``{glue:text}`` values become the values the book's build computed (formatted as myst-nb's
  role formats them), in a ``<span class="glued">`` whose title says so;
- ``{ref}``, ``{numref}``, ``{prf:ref}`` and ``{download}`` become links to the published
  pages, with the link text the page shows (section titles, "Fig. N", "Theorem N", numbered
  through the whole book as Sphinx numbers them when no toctree is numbered);
- ``{cite}``, ``{cite:p}``, ``{cite:t}`` become author-year text formatted by
  sphinxcontrib-bibtex's own ``author_year`` referencing style, linking to the bibliography;
- ``(label)=`` targets become ``<a id="label"></a>`` anchors; ``$$ ... $$ (label)`` gets a
  ``\\tag{N}`` and an ``equation-label`` anchor;
- admonitions, theorems, proofs and exercises become ``<blockquote>`` blocks with bold
  titles, solutions ``<details>`` blocks; a ``{solution-start}``/``{solution-end}`` pair
  (whose code cells sit between them) becomes a heading, collapsed text and an end marker;
- ``{literalinclude}`` becomes a fenced code block, extracted by Sphinx's own
  ``LiteralIncludeReader`` (``:pyobject:`` through ``sphinx.pycode.ModuleAnalyzer``), under a
  line naming and linking the file. It is text, not a code cell: a code cell would redefine
  the tested library function inside the notebook, and the notebook's code cells must stay
  exactly the chapter's, since the execution cache matches code cells by source
  (``freshness.merge_outputs``).

Anything else written as MyST (an unknown role or directive) raises ``ValueError``, so a new
construct in a chapter fails the notebook generation instead of reaching students raw.

Why not sphinx-tojupyter (QuantEcon, 0.6.0, a Sphinx builder writing notebooks from the
doctree)? Checked against its source: (1) it builds from the doctree, where cells tagged
``remove-cell`` (42 in the chapters: the glue and claim cells) no longer exist, so its
notebooks would lose code cells and could not feed the execution cache; (2) it turns every
Python ``literal_block`` into a code cell, literalincludes included, and drops the cells'
metadata (figure captions and names, tags); (3) it handles sphinx-proof nodes and numbers
sphinx-exercise exercises but has no visitor for solutions or for the gated
``solution-start``/``solution-end`` nodes; (4) it needs a full Sphinx build of the book
(with dask.distributed and nbdime as dependencies) to write any notebook, so committed
notebooks could not be generated or checked on a fresh clone. Converting the chapters' own
cells keeps the code cells identical by construction.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GLUE_TITLE = "value computed when the book was built; running the cells computes your own"
PLACEHOLDER = "…"  # a glued value not known (``execute``, before any build; masked by checks)
# Sphinx's default numfig_format (the book sets none) and the extensions' own formats
FIGURE_FORMAT = "Fig. %s"
EXERCISE_FORMAT = "Exercise %s"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE_INFO = re.compile(r"^\{(?P<name>[a-zA-Z][\w:-]*)\}\s*(?P<argument>.*)$")
_TARGET = re.compile(r"^[ \t]*\((?P<label>[^()\s]+)\)=[ \t]*$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):(?:[ \t]+(?P<value>.*))?$")
_HEADING = re.compile(r"^#{1,6}[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$")
# a role, or an inline code span (scanned in one pass, so a role inside code stays code)
_INLINE = re.compile(
    r"\{(?P<role>[a-zA-Z][\w:+-]*)\}(?P<ticks>`+)(?P<content>.+?)(?P=ticks)(?!`)"
    r"|(?P<code>(?P<cticks>`+).+?(?P=cticks)(?!`))",
    re.S,
)
_LABELLED_MATH = re.compile(r"\$\$(?P<body>[^$]+?)\$\$[ \t]*\((?P<label>[\w:.-]+)\)")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_ADMONITIONS = (
    "note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error",
    "seealso",
)  # fmt: skip


@dataclass(frozen=True)
class Target:
    """Where a label points on the site, and the link text the page shows for it."""

    page: str  # Sphinx docname, e.g. "book/hopfield"
    anchor: str
    text: str


@dataclass
class Book:
    """What conversion needs from the whole book: labels, numbers, bibliography, site."""

    baseurl: str
    repository: str
    branch: str
    macros: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)  # {ref}: sections, exercises
    figures: dict[str, Target] = field(default_factory=dict)  # {numref}
    proofs: dict[str, Target] = field(default_factory=dict)  # {prf:ref}
    equations: dict[str, Target] = field(default_factory=dict)
    exercises: dict[str, str] = field(default_factory=dict)  # label -> "Exercise N (title)"
    bibliography: Any = None  # pybtex BibliographyData
    bibliography_page: str = "book/bibliography"

    def url(self, page: str, anchor: str = "") -> str:
        """The published address of ``page`` (a docname), at ``anchor`` if given."""
        return f"{self.baseurl.rstrip('/')}/{page}.html" + (f"#{anchor}" if anchor else "")

    def source_url(self, path: str, lines: tuple[int, int] | None = None) -> str:
        """The repository's address of ``path`` (relative to the repository root)."""
        url = f"{self.repository.rstrip('/')}/blob/{self.branch}/{path}"
        return url + (f"#L{lines[0]}-L{lines[1]}" if lines else "")


# ---------------------------------------------------------------- the book's index


def _directives(text: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Every directive in ``text``, nested ones included: (name, argument, options)."""
    for block in split_blocks(text):
        if isinstance(block, Directive):
            yield block.name, block.argument, block.options
            yield from _directives(block.body)


def index_page(book: Book, docname: str, text: str, cells: list[Any] | None = None) -> None:
    """Add one page's labels and numbered things to ``book`` (pages in reading order)."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = _TARGET.match(line)
        if match:
            following = next((rest for rest in lines[number + 1 :] if rest.strip()), "")
            heading = _HEADING.match(following)
            title = heading.group("title") if heading else match.group("label")
            book.targets[match.group("label")] = Target(docname, match.group("label"), title)
    for name, argument, options in _directives(text):
        # an unlabelled one is numbered too (under a key no role can name)
        label = options.get("label") or f"{docname}:{name}:{len(book.exercises) + len(book.proofs)}"
        if "nonumber" in options:
            continue
        if name == "exercise":
            number = EXERCISE_FORMAT % (len(book.exercises) + 1)
            book.exercises[label] = f"{number} ({argument})" if argument else number
            book.targets[label] = Target(docname, label, number)
        elif name.startswith("prf:") and name != "prf:proof":
            kind = name.removeprefix("prf:").title()
            count = 1 + sum(1 for t in book.proofs.values() if t.text.split()[0] == kind)
            book.proofs[label] = Target(docname, label, f"{kind} {count}")
        elif name == "bibliography":
            book.bibliography_page = docname
    for match in _LABELLED_MATH.finditer(text):
        label = match.group("label")
        book.equations[label] = Target(docname, f"equation-{label}", str(len(book.equations) + 1))
    for cell in cells or []:
        name = figure_name(cell)
        if name:
            book.figures[name] = Target(docname, name, FIGURE_FORMAT % (len(book.figures) + 1))


def figure_name(cell: Any) -> str | None:
    """The name of the numbered figure a code cell shows (captioned, not removed), if any."""
    if cell.get("cell_type") != "code" or "remove-cell" in cell.metadata.get("tags", []):
        return None
    figure = cell.metadata.get("mystnb", {}).get("figure", {})
    return figure.get("name") if figure.get("caption") and figure.get("name") else None


# ---------------------------------------------------------------- blocks


@dataclass
class Directive:
    """A fenced MyST directive: ``name`` with its argument, options and (MyST) body."""

    name: str
    argument: str
    options: dict[str, str]
    body: str
    indent: str


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def split_blocks(text: str) -> list[str | Directive]:
    """``text`` cut into plain markdown (str, ordinary code fences included) and directives."""
    lines = text.split("\n")
    blocks: list[str | Directive] = []
    plain: list[str] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            plain.append(lines[index])
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not _closes(lines[end], match.group("fence")):
            end += 1
        directive = _DIRECTIVE_INFO.match(match.group("info").strip())
        if not directive:  # an ordinary code block: kept verbatim
            plain.extend(lines[index : end + 1])
        else:
            if plain:
                blocks.append("\n".join(plain))
                plain = []
            indent = match.group("indent")
            body = [line[len(indent) :] if line.startswith(indent) else line for line in
                    lines[index + 1 : end]]  # fmt: skip
            options, body = _options(body)
            blocks.append(Directive(directive.group("name"), directive.group("argument").strip(),
                                    options, "\n".join(body).strip("\n"), indent))  # fmt: skip
        index = end + 1
    if plain:
        blocks.append("\n".join(plain))
    return blocks


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    """A directive's ``:key: value`` options and the body after them."""
    options: dict[str, str] = {}
    index = 0
    while index < len(body):
        match = _OPTION.match(body[index].strip())
        if not match:
            break
        options[match.group("key")] = (match.group("value") or "").strip()
        index += 1
    return options, body[index:]


# ---------------------------------------------------------------- the converter


def _quote(text: str) -> str:
    """``text`` (Markdown) in a block quote: an HTML ``<blockquote>`` around Markdown, not
    ``>`` lines, since JupyterLab takes maths out before it parses Markdown, so a ``$$``
    block inside ``>`` lines would keep their ``>``."""
    return f"<blockquote>\n\n{text}\n\n</blockquote>"


def _details(summary: str, text: str) -> str:
    """A collapsed block: ``summary`` always shown, ``text`` (Markdown) on a click."""
    return f"<details>\n<summary>{summary}</summary>\n\n{text}\n\n</details>"


def _indent(text: str, indent: str) -> str:
    return "\n".join(indent + line if line.strip() else line for line in text.split("\n"))


def _escape(text: str) -> str:
    """Plain text safe in Markdown: the characters that would start markup escaped."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)


class Converter:
    """Converts one chapter's markdown cells, in order (solutions span cells)."""

    def __init__(self, book: Book, chapter: Path, root: Path, glue: Callable[[str], str]):
        self.book = book
        self.chapter = chapter
        self.root = root
        self.glue = glue  # key -> the glued output's text/plain
        self.solution: str | None = None  # the exercise whose solution cells are open
        self.pending: list[str] = []  # markdown of the open solution, not yet written

    # ---- cells

    def markdown(self, text: str) -> str:
        """One markdown cell, converted."""
        out: list[str] = []
        for block in split_blocks(text):
            if isinstance(block, Directive) and block.name == "solution-start":
                out.append(self._solution_start(block))
            elif isinstance(block, Directive) and block.name == "solution-end":
                out.extend(self._flush_solution())
                out.append(f"*End of the solution to {self._exercise_title(self.solution or '')}.*")
                self.solution = None
            else:
                converted = self.block(block)
                (self.pending if self.solution else out).append(converted)
        if self.solution:
            out.extend(self._flush_solution())
        return "\n\n".join(part.strip("\n") for part in out if part.strip())

    def figure_caption(self, cell: Any) -> str | None:
        """The caption cell that follows a code cell showing a numbered figure."""
        name = figure_name(cell)
        if not name:
            return None
        metadata = cell.metadata["mystnb"]
        caption = self.inline(metadata["figure"]["caption"])
        text = f'<a id="{name}"></a>\n\n**{self.book.figures[name].text}** {caption}'
        alt = metadata.get("image", {}).get("alt")
        if alt:
            text += "\n\n" + _details("Description of the figure", self.inline(alt))
        return text

    # ---- blocks

    def block(self, block: str | Directive) -> str:
        if isinstance(block, str):
            return self.plain(block)
        handler = getattr(self, "_dir_" + block.name.replace(":", "_").replace("-", "_"), None)
        if handler is None and block.name in _ADMONITIONS:
            handler = self._dir_named_admonition
        if handler is None:
            raise ValueError(f"{self.chapter.name}: no plain Markdown for {{{block.name}}}")
        return _indent(handler(block), block.indent)

    def body(self, text: str) -> str:
        """A directive's body: MyST again (nested directives, roles)."""
        blocks = [self.block(b) for b in split_blocks(text)]
        return "\n\n".join(b.strip("\n") for b in blocks if b.strip())

    def plain(self, text: str) -> str:
        """Markdown outside directives: targets, labelled equations, roles."""
        lines = []
        for line in text.split("\n"):
            match = _TARGET.match(line)
            lines.append(f'<a id="{match.group("label")}"></a>' if match else line)
        text = _LABELLED_MATH.sub(self._labelled_math, "\n".join(lines))
        return self._outside_code(text, self.inline)

    def _outside_code(self, text: str, convert: Callable[[str], str]) -> str:
        """``convert`` applied to ``text`` except inside ordinary fenced code blocks."""
        out, chunk, fence = [], [], None
        for line in text.split("\n"):
            match = _FENCE.match(line)
            if fence is None and match:
                out.append(convert("\n".join(chunk)))
                chunk, fence = [], match.group("fence")
                out.append(line)
            elif fence is not None:
                out.append(line)
                if _closes(line, fence):
                    fence = None
            else:
                chunk.append(line)
        if chunk:
            out.append(convert("\n".join(chunk)))
        return "\n".join(out)

    def _labelled_math(self, match: re.Match[str]) -> str:
        target = self.book.equations[match.group("label")]
        return f'<a id="{target.anchor}"></a>\n\n$${match.group("body").rstrip()}' \
               f" \\tag{{{target.text}}}\n$$"  # fmt: skip

    # ---- directives

    def _dir_admonition(self, block: Directive) -> str:
        title, body = self.inline(block.argument), self.body(block.body)
        if "dropdown" in block.options.get("class", "").split():
            return _details(f"<strong>{title}</strong>", body)
        return _quote(f"**{title}**\n\n{body}")

    def _dir_named_admonition(self, block: Directive) -> str:
        title = "See also" if block.name == "seealso" else block.name.title()
        return _quote(f"**{title}**\n\n{self.body(block.body)}")

    def _exercise_title(self, label: str) -> str:
        return self.book.exercises.get(label, "Exercise")

    def _dir_exercise(self, block: Directive) -> str:
        label = block.options.get("label", "")
        number, _, _ = self._exercise_title(label).partition(" (")
        title = f" ({self.inline(block.argument)})" if block.argument else ""
        quote = _quote(f"**{number}**{title}\n\n{self.body(block.body)}")
        return f'<a id="{label}"></a>\n\n{quote}' if label else quote

    def _dir_solution(self, block: Directive) -> str:
        name = self.inline(self._exercise_title(block.argument))
        summary = f"<strong>Solution to {name}</strong>"
        return _details(summary, self.body(block.body))

    def _solution_start(self, block: Directive) -> str:
        self.solution = block.argument
        name = self.inline(self._exercise_title(block.argument))
        return f'**Solution to {name}** (this text and the code cells below, down to "End of ' \
               'the solution")'  # fmt: skip

    def _flush_solution(self) -> list[str]:
        text = "\n\n".join(part.strip("\n") for part in self.pending if part.strip())
        self.pending = []
        return [_details("<strong>Solution</strong> (text)", text)] if text else []

    def _dir_prf_theorem(self, block: Directive) -> str:
        label = block.options.get("label", "")
        name = self.book.proofs[label].text if label in self.book.proofs else "Theorem"
        title = f" ({self.inline(block.argument)})" if block.argument else ""
        quote = _quote(f"**{name}**{title}\n\n{self.body(block.body)}")
        return f'<a id="{label}"></a>\n\n{quote}' if label else quote

    def _dir_prf_proof(self, block: Directive) -> str:
        return _quote(f"*Proof.* {self.body(block.body)} ∎")

    def _dir_literalinclude(self, block: Directive) -> str:
        path = (self.chapter.parent / block.argument).resolve()
        code, lines = include(path, block.options)
        relative = path.relative_to(self.root).as_posix()
        what = f", `{block.options['pyobject']}`" if "pyobject" in block.options else ""
        ticks = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", code)), default=0))
        language = block.options.get("language", "")
        link = self.book.source_url(relative, lines)
        return f"From [`{relative}`]({link}){what}:\n\n{ticks}{language}\n{code.rstrip()}\n{ticks}"

    # ---- roles

    def inline(self, text: str) -> str:
        """Roles in ``text`` replaced; inline code left as it is."""
        return _INLINE.sub(self._role_match, text)

    def _role_match(self, match: re.Match[str]) -> str:
        if match.group("code"):
            return match.group("code")
        role, content = match.group("role"), match.group("content")
        handler = getattr(self, "_role_" + re.sub(r"[:+-]", "_", role), None)
        if handler is None:
            raise ValueError(f"{self.chapter.name}: no plain Markdown for the role {{{role}}}")
        return handler(content)

    def _role_glue_text(self, content: str) -> str:
        key, fmt = content.rsplit(":", 1) if ":" in content else (content, "s")
        if "::" in key:
            raise ValueError(f"{self.chapter.name}: glue from another page ({content}) is not "
                             "supported in notebooks")  # fmt: skip
        raw = self.glue(key)
        text = PLACEHOLDER if raw is None else format_glued(raw, fmt)
        return f'<span class="glued" title="{GLUE_TITLE}">{html.escape(text)}</span>'

    def _xref(self, content: str, table: dict[str, Target], role: str) -> str:
        explicit = _EXPLICIT.match(content)
        label = explicit.group("target") if explicit else content
        if label not in table:
            raise ValueError(f"{self.chapter.name}: {{{role}}} to unknown label {label!r}")
        target = table[label]
        number = target.text.split()[-1]
        text = explicit.group("text").replace("%s", number).replace("{number}", number) \
            if explicit else target.text  # fmt: skip
        return f"[{self.inline(text)}]({self.book.url(target.page, target.anchor)})"

    def _role_ref(self, content: str) -> str:
        return self._xref(content, self.book.targets, "ref")

    def _role_numref(self, content: str) -> str:
        return self._xref(content, self.book.figures, "numref")

    def _role_prf_ref(self, content: str) -> str:
        return self._xref(content, self.book.proofs, "prf:ref")

    def _role_eq(self, content: str) -> str:
        target = self.book.equations[content]
        return f"[({target.text})]({self.book.url(target.page, target.anchor)})"

    def _role_download(self, content: str) -> str:
        explicit = _EXPLICIT.match(content)
        text, target = (explicit.group("text"), explicit.group("target")) if explicit \
            else (Path(content).name, content)  # fmt: skip
        source = (self.chapter.parent / target).resolve().relative_to(self.root).as_posix()
        return f"[{_escape(text)}]({download_url(self.book, source)})"

    def _role_cite(self, content: str) -> str:
        return cite(self.book, "p", content)

    def _role_cite_p(self, content: str) -> str:
        return cite(self.book, "p", content)

    def _role_cite_t(self, content: str) -> str:
        return cite(self.book, "t", content)


# ---------------------------------------------------------------- single conversions


def format_glued(raw: str, fmt: str) -> str:
    """A glued output's text/plain as ``{glue:text}`key:fmt``` shows it (myst-nb's own code)."""
    from myst_nb.core.variables import format_plain_text

    return format_plain_text(raw, fmt)


def include(path: Path, options: dict[str, str]) -> tuple[str, tuple[int, int] | None]:
    """The code ``{literalinclude}`` shows, read by Sphinx's own reader; with its line range in
    the file for ``:pyobject:`` (else None)."""
    from sphinx.directives.code import LiteralIncludeReader
    from sphinx.pycode import ModuleAnalyzer

    class _Config:  # the one setting the reader takes from Sphinx's configuration
        source_encoding = "utf-8-sig"

    typed: dict[str, Any] = {}
    for key, value in options.items():
        if key in ("dedent", "tab-width", "lineno-start"):
            typed[key] = int(value) if value else None
        else:
            typed[key] = value if value else True
    code, _ = LiteralIncludeReader(str(path), typed, _Config()).read()
    lines = None
    if "pyobject" in options:
        _, start, end = ModuleAnalyzer.for_file(str(path), "").find_tags()[options["pyobject"]]
        lines = (start, end)
    return code, lines


def download_url(book: Book, source: str) -> str:
    """Where Sphinx publishes a ``{download}`` file (``_downloads/<md5 of its path>/<name>``)."""
    digest = hashlib.md5(source.encode(), usedforsecurity=False).hexdigest()
    return f"{book.baseurl.rstrip('/')}/_downloads/{digest}/{Path(source).name}"


@functools.cache
def reference_style() -> Any:
    """sphinxcontrib-bibtex's author-year referencing style, made once: finding the plugin and
    building its templates took 45 ms a citation (12 s of a build's 260 citations)."""
    from sphinxcontrib.bibtex.plugin import find_plugin

    return find_plugin("sphinxcontrib.bibtex.style.referencing", "author_year")()


def cite(book: Book, role: str, content: str) -> str:
    """A citation as the book's author-year style writes it, linked to the bibliography."""
    from sphinxcontrib.bibtex.citation_target import parse_citation_targets
    from sphinxcontrib.bibtex.style.referencing import format_references
    from sphinxcontrib.bibtex.style.template import SphinxReferenceInfo

    style = reference_style()
    references = []
    for target in parse_citation_targets(content):
        if target.key not in book.bibliography.entries:
            raise ValueError(f"unknown citation key {target.key!r}")
        info = SphinxReferenceInfo(None, "", book.bibliography_page, target.key, None,
                                   target.pre, target.post)  # fmt: skip
        references.append((book.bibliography.entries[target.key], None, info))
    text = format_references(style, role, references)
    return _rich_text(text, book.url(book.bibliography_page))


def _rich_text(text: Any, url: str) -> str:
    """pybtex rich text as Markdown, citation references as links to ``url``."""
    from pybtex.richtext import String, Symbol, Tag
    from sphinxcontrib.bibtex.style.template import SphinxReferenceText

    if isinstance(text, str):
        return _escape(text)
    if isinstance(text, String):
        return _escape(text.value)
    if isinstance(text, Symbol):
        return {"nbsp": "&nbsp;", "ndash": "–"}.get(text.name, "")
    inner = "".join(_rich_text(part, url) for part in text.parts)
    if isinstance(text, SphinxReferenceText):
        return f"[{inner}]({url})"
    if isinstance(text, Tag):
        return {"em": f"*{inner}*", "strong": f"**{inner}**", "b": f"**{inner}**",
                "i": f"*{inner}*"}.get(text.name, inner)  # fmt: skip
    return inner


def macros_cell(macros: dict[str, Any]) -> str | None:
    """A markdown cell defining the book's MathJax TeX macros for the notebook's MathJax (it
    renders as nothing; JupyterLab, Colab and nbconvert keep the definitions for later cells)."""
    if not macros:
        return None
    definitions = []
    for name, value in sorted(macros.items()):
        body, args = (value[0], value[1]) if isinstance(value, list) else (value, 0)
        definitions.append(f"\\newcommand{{\\{name}}}" + (f"[{args}]" if args else "") +
                           f"{{{body}}}")  # fmt: skip
    return "$" + " ".join(definitions) + "$"


# ---------------------------------------------------------------- checks


def myst_leftovers(markdown: str) -> list[str]:
    """MyST syntax left in ``markdown`` outside code: roles, directive fences, targets."""
    found = []
    text, in_fence = [], None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if in_fence is None and match:
            if _DIRECTIVE_INFO.match(match.group("info").strip()):
                found.append(line.strip())
            in_fence = match.group("fence")
        elif in_fence is not None:
            if _closes(line, in_fence):
                in_fence = None
        else:
            if _TARGET.match(line):
                found.append(line.strip())
            text.append(line)
    for match in _INLINE.finditer("\n".join(text)):
        if match.group("role"):
            found.append(match.group(0))
    return found


def _prose(text: str) -> Iterator[str]:
    """The MyST ``text`` outside code, in pieces: directives' arguments and bodies included,
    ordinary fenced code blocks left out."""
    for block in split_blocks(text):
        if isinstance(block, Directive):
            yield block.argument
            yield from _prose(block.body)
            continue
        chunk: list[str] = []
        fence = None
        for line in block.split("\n"):
            match = _FENCE.match(line)
            if fence is None and match:
                yield "\n".join(chunk)
                chunk, fence = [], match.group("fence")
            elif fence is not None:
                fence = None if _closes(line, fence) else fence
            else:
                chunk.append(line)
        yield "\n".join(chunk)


def glue_keys(text: str) -> set[str]:
    """The keys MyST ``text`` pastes with ``{glue:text}`` (outside code)."""
    keys = set()
    for piece in _prose(text):
        for match in _INLINE.finditer(piece):
            if match.group("role") == "glue:text":
                content = match.group("content")
                keys.add(content.rsplit(":", 1)[0] if ":" in content else content)
    return keys
