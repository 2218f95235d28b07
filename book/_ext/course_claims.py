"""``{claims-table}``: every checked claim of every chapter, for the Execution report.

A chapter checks each sentence about its results with ``course.claims.claim``, which glues a
record (key, wording, values) into the executed notebook. myst-nb keeps a page's glued outputs
in ``<build>/jupyter_execute/<page>.glue.json``; this extension reads the records of each page
as it is read (so a cached execution brings its claims along) and, when the report page is
written, fills the table: chapter, wording, values and status. A claim that failed stopped its
chapter, so every claim listed held when its chapter last ran.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from layout import glue_file
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

CLAIM_PREFIX = "claim:"  # as in course.claims (the extension does not import the course)


class claims_table(nodes.General, nodes.Element):  # noqa: N801 (docutils names nodes so)
    """Where the table goes; filled when the page is written, after every chapter is read."""


class ClaimsTable(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        pages = getattr(self.env, "course_claims_pages", set())
        pages.add(self.env.docname)
        self.env.course_claims_pages = pages  # type: ignore[attr-defined]
        return [claims_table()]


def read_claims(glue_file: Path) -> list[dict[str, Any]]:
    """The claim records in one page's glue file (none if the page glued nothing)."""
    try:
        glued = json.loads(glue_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    records = []
    for key, output in glued.items():
        if key.startswith(CLAIM_PREFIX):
            try:
                record = json.loads(output.get("data", {}).get("text/plain", ""))
            except ValueError:
                record = None
            if not isinstance(record, dict) or "statement" not in record:
                raise ValueError(f"{glue_file}: glued claim {key!r} has no record")
            records.append(record)
    return records


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    claims = getattr(env, "course_claims", {})
    found = read_claims(glue_file(Path(app.outdir).parent, env.docname))
    if found:
        claims[env.docname] = found
    else:
        claims.pop(env.docname, None)
    env.course_claims = claims  # type: ignore[attr-defined]


def on_env_purge_doc(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, "course_claims", {}).pop(docname, None)
    getattr(env, "course_claims_pages", set()).discard(docname)


def on_env_before_read_docs(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    app.course_claims_reread = bool(docnames)  # type: ignore[attr-defined]


def on_env_get_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """The report pages are written again whenever a page was read again."""
    if not getattr(app, "course_claims_reread", False):
        return []
    return sorted(getattr(env, "course_claims_pages", set()))


def format_value(value: Any) -> str:
    """A value as the table shows it: floats to four significant digits, lists item by item."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    return str(value)


def _row(cells: list[nodes.Node | str]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell if isinstance(cell, nodes.Node) else nodes.paragraph(text=cell)
        row += entry
    return row


def build_table(app: Sphinx, fromdocname: str, claims: dict[str, list[dict]]) -> nodes.Node:
    """The table of claims, one row per claim, chapters in the book's order."""
    env = app.env
    order = {name: index for index, name in enumerate(_toc_order(env))}
    table = nodes.table(classes=["course-claims"])
    group = nodes.tgroup(cols=4)
    table += group
    for width in (18, 46, 28, 8):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(["Chapter", "Claim", "Values", "Status"])
    group += head
    body = nodes.tbody()
    for docname in sorted(claims, key=lambda name: order.get(name, len(order))):
        title = env.titles[docname].astext() if docname in env.titles else docname
        link = nodes.reference(
            "", title, internal=True, refuri=app.builder.get_relative_uri(fromdocname, docname)
        )
        for record in claims[docname]:
            values = "; ".join(
                f"{name} = {format_value(value)}" for name, value in record["values"].items()
            )
            body += _row([nodes.paragraph("", "", link.deepcopy()), record["statement"],
                          values or "—", "holds"])
    group += body
    return table


def _toc_order(env: BuildEnvironment) -> list[str]:
    """Documents in reading order (the master document, then each toctree depth first)."""
    seen: list[str] = []

    def visit(docname: str) -> None:
        if docname in seen:
            return
        seen.append(docname)
        for child in env.toctree_includes.get(docname, []):
            visit(child)

    visit(env.config.root_doc)
    return seen


def on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    placeholders = list(doctree.findall(claims_table))
    if not placeholders:
        return
    claims = getattr(app.env, "course_claims", {})
    total = sum(len(found) for found in claims.values())
    for placeholder in placeholders:
        summary = nodes.paragraph(
            text=f"{total} claims in {len(claims)} chapters, each checked when its chapter ran."
        )
        placeholder.replace_self([summary, build_table(app, docname, claims)])


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(claims_table)
    app.add_directive("claims-table", ClaimsTable)
    app.connect("doctree-read", on_doctree_read)
    app.connect("env-purge-doc", on_env_purge_doc)
    app.connect("env-before-read-docs", on_env_before_read_docs)
    app.connect("env-get-updated", on_env_get_updated)
    app.connect("doctree-resolved", on_doctree_resolved)
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
