"""The book's own Sphinx extension.

- Re-executes a chapter when the course code it imports changes (see ``freshness``).
- Gives every page a footer naming the version it was built from.
- ``{papers-table}``: the table of hosted and linked papers, from ``references/papers.yml``;
  the hosted PDFs are fetched through the course's data layer and published under ``papers/``.
"""

from __future__ import annotations

import html
import os
import shutil
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive
from jupyter_cache import get_cache
from layout import REPO_ROOT
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

import freshness
import gitinfo

LOGGER = logging.getLogger(__name__)

PAPERS_MANIFEST = REPO_ROOT / "references" / "papers.yml"
PAPERS_OUTDIR = "papers"


# ---------------------------------------------------------------------------------------
# Version and build environment
# ---------------------------------------------------------------------------------------


def source_version() -> tuple[str, str | None]:
    """(label, commit) of the source: ``git describe`` and the full commit, if in a checkout."""
    commit = os.environ.get("GITHUB_SHA") or gitinfo.git("rev-parse", "HEAD")
    # The commit alone, not whether the tree is dirty: the footer is part of every page's
    # configuration, so an author's first uncommitted edit would otherwise rewrite every page.
    label = gitinfo.describe(dirty=False) or (commit or "unknown")[:12]
    return label, commit


def on_config_inited(app: Sphinx, config: Any) -> None:
    """Give executed chapters the build's environment and put the source version in the footer."""
    os.environ.update(freshness.EXECUTION_ENV)  # inherited by every kernel the build starts
    if config.html_theme != "sphinx_book_theme":
        return
    label, commit = source_version()
    repo = config.html_theme_options.get("repository_url", "").rstrip("/")
    shown = html.escape(label)
    if commit and repo:
        shown = f'<a href="{repo}/commit/{commit}">{shown}</a>'
    config.html_theme_options["extra_footer"] = (
        f'<p class="course-version">Built from version {shown}. '
        f'Source on <a href="{repo}">GitHub</a>.</p>'
    )
    config.html_context["course_version"] = label


# ---------------------------------------------------------------------------------------
# Freshness of executed chapters
# ---------------------------------------------------------------------------------------


def _cache_path(app: Sphinx) -> Path | None:
    if app.config.nb_execution_mode != "cache" or not app.config.course_freshness:
        return None
    return Path(app.config.nb_execution_cache_path or ".jupyter_cache").resolve()


def _chapters(env: BuildEnvironment) -> dict[str, Path]:
    found = {name: Path(env.doc2path(name)) for name in env.found_docs}
    return {name: path for name, path in found.items() if freshness.is_notebook_source(path)}


def on_env_get_outdated(app: Sphinx, env: BuildEnvironment, added, changed, removed) -> list[str]:
    """Mark chapters outdated whose cached outputs were made with other course code or replaced."""
    cache_path = _cache_path(app)
    if cache_path is None:
        return []
    rendered: dict[str, list[int]] = getattr(env, "course_rendered_records", {})
    deps_now: dict[str, str] = {}
    outdated = []
    cache = get_cache(str(cache_path))
    for name, source in _chapters(env).items():
        deps_now[name] = freshness.dependency_hash(source, Path(app.config.course_package_dir))
        stale = freshness.drop_stale_records(cache_path, source, deps_now[name])
        current = (
            freshness.stamp_new_records(cache_path, source, deps_now[name]) if not stale else []
        )
        match = freshness.matching_record(cache, source)
        if match is None:  # myst-nb executes it: only what this run writes is kept with it
            freshness.clear_side_files(source)
        else:  # the page links the files this execution wrote
            freshness.restore_side_files(cache_path, match.hashkey, source)
        if stale or (name not in added and current != rendered.get(name)):
            outdated.append(name)
    if outdated:
        LOGGER.info(
            f"[course_book] re-reading {len(outdated)} chapter(s) for fresh outputs: {outdated}"
        )
    env.course_deps_now = deps_now
    return [name for name in outdated if name not in added]


def on_env_updated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Stamp the records executed in this build and remember which records the pages show."""
    cache_path = _cache_path(app)
    if cache_path is None:
        return []
    deps_now = getattr(env, "course_deps_now", {})
    rendered = {}
    for name, source in _chapters(env).items():
        deps = deps_now.get(name) or freshness.dependency_hash(
            source, Path(app.config.course_package_dir)
        )
        rendered[name] = freshness.stamp_new_records(cache_path, source, deps)
    env.course_rendered_records = rendered
    return []


# ---------------------------------------------------------------------------------------
# Papers: the manifest, its table and the hosted copies
# ---------------------------------------------------------------------------------------


def load_papers(path: Path = PAPERS_MANIFEST) -> list[dict]:
    """The documents the course hosts or links, from ``references/papers.yml``."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["papers"]
    for item in entries:
        if item.get("hosted") and not item.get("file"):
            raise ValueError(f"{path}: hosted paper {item.get('title')!r} names no registry file")
    return entries


def _link(text: str, uri: str) -> nodes.reference:
    return nodes.reference("", text, refuri=uri, internal=False)


def _cell(*children: nodes.Node | str) -> nodes.entry:
    entry = nodes.entry()
    paragraph = nodes.paragraph()
    for child in children:
        paragraph += nodes.Text(child) if isinstance(child, str) else child
    entry += paragraph
    return entry


class PapersTable(Directive):
    """``{papers-table}``: one row per document in ``references/papers.yml``."""

    has_content = False
    headers = ("Document", "Copies", "Licence status")

    def run(self) -> list[nodes.Node]:
        from course.data import entry

        env = self.state.document.settings.env
        env.note_dependency(str(PAPERS_MANIFEST))
        depth = env.docname.count("/")
        table = nodes.table(classes=["papers-table"])
        group = nodes.tgroup(cols=len(self.headers))
        table += group
        group.extend(nodes.colspec(colwidth=width) for width in (5, 3, 3))
        head = nodes.thead()
        row = nodes.row()
        row.extend(_cell(h) for h in self.headers)
        head += row
        group += head
        body = nodes.tbody()
        for paper in load_papers():
            row = nodes.row()
            document = nodes.entry()
            document += nodes.paragraph("", "", nodes.strong(text=paper["title"]))
            document += nodes.paragraph(
                text=f"{paper['authors']}. {paper['venue']}, {paper['year']} ({paper['kind']})."
            )
            row += document
            copies = nodes.entry()
            if paper.get("hosted"):
                item = entry(paper["file"])
                uri = "../" * depth + f"{PAPERS_OUTDIR}/{Path(item.key).name}"
                copies += nodes.paragraph(
                    "", "", _link("Hosted PDF", uri), nodes.Text(f" ({item.size / 1e6:.1f} MB)")
                )
            copies += nodes.paragraph("", "", _link(paper["landing_label"], paper["landing"]))
            if paper.get("hosted"):
                copies += nodes.paragraph(text=f"SHA-256 {entry(paper['file']).sha256[:16]}…")
            else:
                copies += nodes.paragraph(text="Not hosted: " + paper.get("why_not_hosted", ""))
            row += copies
            row += _cell(paper["licence"])
            body += row
        group += body
        return [table]


def publish_papers(app: Sphinx, exception: Exception | None) -> None:
    """Copy every hosted paper, fetched and verified by the data layer, into the site."""
    if (
        exception is not None
        or app.builder.format != "html"
        or not app.config.course_publish_papers
    ):
        return
    from course.data import fetch

    target = Path(app.outdir) / PAPERS_OUTDIR
    target.mkdir(parents=True, exist_ok=True)
    for paper in load_papers():
        if paper.get("hosted"):
            source = fetch(paper["file"])
            destination = target / Path(paper["file"]).name
            if not destination.is_file() or destination.stat().st_size != source.stat().st_size:
                shutil.copyfile(source, destination)
    (Path(app.outdir) / ".nojekyll").touch()  # GitHub Pages: serve _static and friends as-is


def publish_generated(app: Sphinx, exception: Exception | None) -> None:
    """Copy the files chapters wrote for their pages (``book/_generated/<chapter>/``, such as
    an animation's frames) into the site beside the pages that load them."""
    if exception is not None or app.builder.format != "html":
        return
    for name, source in _chapters(app.env).items():
        folder = freshness.generated_dir(source)
        if folder.is_dir():
            target = Path(app.outdir) / Path(name).parent / "_generated" / source.stem
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(folder, target)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("course_versions")  # version switcher, 404 page, sitemap, social cards
    app.setup_extension("course_pdf")  # the link to the book's PDF on every page
    app.setup_extension("course_pages")  # page speed and accessibility fixes of the built HTML
    app.setup_extension("course_claims")  # the Execution report's table of checked claims
    app.setup_extension("course_exercises")  # hide_solutions also hides gated solutions
    app.setup_extension("course_notebooks")  # each chapter's notebook in its download menu
    app.add_config_value("course_package_dir", str(freshness.PACKAGE_DIR), "env")
    app.add_config_value("course_freshness", True, "env")
    app.add_config_value("course_publish_papers", True, "html")
    app.connect("config-inited", on_config_inited)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("env-updated", on_env_updated)
    app.connect("build-finished", publish_papers)
    app.connect("build-finished", publish_generated, priority=400)  # before pages are sized
    app.add_directive("papers-table", PapersTable)
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
