"""Published versions of the site, its 404 page, sitemap and social-card metadata.

The latest book (``main``) is published at the site root (``…/course/``) and each release tag
``vYYYY.N`` under its own folder (``…/course/vYYYY.N/``), in the ``gh-pages`` branch, by a
maintained deploy action (``.github/workflows/book.yml``).

Sphinx side (loaded by ``course_book``):

- the version being built comes from ``COURSE_VERSION`` (unset or ``latest``: the root build;
  otherwise a release tag such as ``v2026.1``);
- pydata-sphinx-theme's version switcher in every page's header. There is one list, the root's
  ``_static/switcher.json`` (``latest`` and the ``v*`` git tags, newest first): the latest build
  writes it and reads it by a relative address; a release reads it by its absolute address, so
  a release published years ago lists the releases made after it without being rewritten;
- a 404 page (sphinx-notfound-page) whose links are absolute paths under the version's folder;
- a sitemap and ``robots.txt`` (root build only: old versions are not advertised);
- Open Graph and Twitter card metadata (sphinxext-opengraph) with the committed social card
  ``book/_static/social-card.png``, and each page's meta description: its own
  (``myst.html_meta.description`` in the front matter), else sphinxext-opengraph's from its text.

The publishing workflow writes the root's list for a new release with
``book/tools/switcher.py``.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from layout import STATIC_DIR

import gitinfo

if TYPE_CHECKING:  # publishing needs only the standard library; CI publishes without Sphinx
    from sphinx.application import Sphinx
    from sphinx.config import Config

VERSION_ENV = "COURSE_VERSION"
LATEST = "latest"
TAG_PATTERN = re.compile(r"v\d[0-9A-Za-z._-]*")
SWITCHER_FILE = "_static/switcher.json"
BUILD_INFO_FILE = "_static/course-build.json"  # what was built: version and site path
SOCIAL_CARD_OUT = "_static/social-card.png"  # the committed book/_static/social-card.png
DESCRIPTION_LIMIT = 160  # characters a search result shows of a page's description
STYLESHEET = "course-versions.css"
SWITCHER_COMPONENT = "version-switcher"
HEADER_BUTTONS = "article-header-buttons.html"
SITEMAP_EXCLUDES = ["404.html", "genindex.html", "search.html", "prf-*.html"]  # not chapters


# ---------------------------------------------------------------------------------------
# Versions and their paths (pure functions, shared by the build and the publisher)
# ---------------------------------------------------------------------------------------


def check_tag(tag: str) -> str:
    """``tag`` if it names a release (``v`` then a digit, e.g. ``v2026.1``), else ValueError."""
    if not TAG_PATTERN.fullmatch(tag or ""):
        raise ValueError(
            f"{tag!r} is not a release tag: expected 'v' then a version, e.g. v2026.1"
        )
    return tag


def build_version(environ: Mapping[str, str] = os.environ) -> str:
    """The version being built: ``latest`` unless ``COURSE_VERSION`` names a release tag."""
    value = (environ.get(VERSION_ENV) or "").strip()
    if value in ("", LATEST):
        return LATEST
    try:
        return check_tag(value)
    except ValueError as error:
        raise ValueError(f"{VERSION_ENV}: {error}") from None


def _version_key(tag: str) -> tuple:
    """Sort key: numeric parts compare as numbers (v2026.10 after v2026.9)."""
    parts = re.split(r"(\d+)", tag[1:])
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def sort_tags(tags: Iterable[str]) -> list[str]:
    """Release tags without repeats, newest first; names that are not release tags are dropped."""
    valid = {t for t in tags if TAG_PATTERN.fullmatch(t)}
    return sorted(valid, key=_version_key, reverse=True)


def git_tags(repo: Path) -> list[str]:
    """The ``v*`` tags of the git checkout at ``repo`` (none outside a checkout)."""
    return (gitinfo.git("tag", "--list", "v*", cwd=repo) or "").split()


def site_path(baseurl: str | None) -> str:
    """The site's path on its host, from ``html_baseurl``: ``/course/`` (``/`` if none)."""
    path = urlsplit(baseurl or "").path.strip("/")
    return f"/{path}/" if path else "/"


def version_path(root: str, version: str) -> str:
    """Where ``version`` is served: ``root`` itself for latest, ``root<tag>/`` for a tag."""
    return root if version == LATEST else f"{root}{check_tag(version)}/"


def switcher_entries(tags: Iterable[str], root: str, latest: bool = True) -> list[dict]:
    """pydata-sphinx-theme's switcher list: ``latest`` (preferred), then the tags, newest first.

    Each ``url`` is an absolute path on the site (``/course/v2026.1/``): the theme appends the
    current page's path to it, so it must not depend on the page it is read from.
    """
    entries = []
    if latest:
        entries.append({"name": LATEST, "version": LATEST, "url": root, "preferred": True})
    entries += [{"name": t, "version": t, "url": version_path(root, t)} for t in sort_tags(tags)]
    return entries


def switcher_url(baseurl: str | None, version: str) -> str:
    """Where a version's pages read the switcher list: the latest build its own file (relative,
    so a local copy of the site works offline), a release the latest build's, by its address."""
    if version == LATEST or not baseurl:
        return SWITCHER_FILE  # pydata's script resolves it against the version's root folder
    return baseurl.rstrip("/") + "/" + SWITCHER_FILE


def write_switcher(folder: Path, entries: list[dict]) -> Path:
    """Write the switcher list into the site (or published version) at ``folder``."""
    target = folder / SWITCHER_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")
    return target


def robots_txt(baseurl: str) -> str:
    """``robots.txt``: everything may be crawled; the sitemap is at the site root."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {baseurl.rstrip('/')}/sitemap.xml\n"


# ---------------------------------------------------------------------------------------
# What the build leaves for the publisher
# ---------------------------------------------------------------------------------------


def read_build_info(site: Path) -> dict:
    """The version and site path a built site was made for (ValueError if not a built site)."""
    site = Path(site)
    if not (site / "index.html").is_file():
        raise ValueError(f"{site} is not a built site: it has no index.html")
    info_file = site / BUILD_INFO_FILE
    if not info_file.is_file():
        raise ValueError(f"{site} was not built with course_versions: no {BUILD_INFO_FILE}")
    info = json.loads(info_file.read_text(encoding="utf-8"))
    if not isinstance(info, dict) or not {"version", "site_path"} <= set(info):
        raise ValueError(f"{info_file} is malformed: {info!r}")
    return info


# ---------------------------------------------------------------------------------------
# Sphinx side
# ---------------------------------------------------------------------------------------


def _version_for_sphinx() -> str:
    from sphinx.errors import ConfigError

    try:
        return build_version()
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _not_found_body(prefix: str, version: str) -> str:
    home, search = html.escape(prefix), html.escape(f"{prefix}search.html")
    which = "" if version == LATEST else f" in version {html.escape(version)}"
    return (
        "<h1>Page not found</h1>\n"
        f"<p>There is no page at this address{which} of the course. It may have moved when "
        "the book was reorganised, or the link may be mistyped.</p>\n"
        f'<p><a class="course-home-link" href="{home}">Go to the home page</a> '
        f'or <a href="{search}">search the book</a>.</p>\n'
    )


def on_config_inited(app: Sphinx, config: Config) -> None:
    """Configure the switcher, the 404 page, the sitemap and the social-card metadata."""
    version = _version_for_sphinx()
    root = site_path(config.html_baseurl)
    prefix = version_path(root, version)
    host = urlsplit(config.html_baseurl or "")
    origin = f"{host.scheme}://{host.netloc}" if host.scheme and host.netloc else ""
    app.course_version = version  # type: ignore[attr-defined]
    app.course_site_path = root  # type: ignore[attr-defined]
    static = [Path(app.confdir, p).resolve() for p in config.html_static_path]
    if STATIC_DIR not in static:  # the social card and the switcher's style sheet
        config.html_static_path = [*config.html_static_path, str(STATIC_DIR)]

    if config.html_theme in ("sphinx_book_theme", "pydata_sphinx_theme"):
        options = config.html_theme_options
        options["switcher"] = {"json_url": switcher_url(config.html_baseurl, version),
                               "version_match": version}
        options["check_switcher"] = False  # the file is written by this build, not read from src
        end = options.get("article_header_end") or [HEADER_BUTTONS]
        end = [end] if isinstance(end, str) else list(end)
        if SWITCHER_COMPONENT not in end:
            options["article_header_end"] = [SWITCHER_COMPONENT, *end]

    config.notfound_urls_prefix = prefix
    config.notfound_context = {"title": "Page not found", "body": _not_found_body(prefix, version)}

    if version == LATEST:
        config.sitemap_url_scheme = "{link}"
        config.sitemap_excludes = SITEMAP_EXCLUDES
    if origin:
        config.ogp_site_url = origin + prefix
    name = config.html_title or config.project
    config.ogp_site_name = name
    config.ogp_image = SOCIAL_CARD_OUT
    config.ogp_image_alt = f"{name}: an open course"
    config.ogp_social_cards = {"enable": False}
    # a page's own description (front matter: myst.html_meta.description) wins; else its text
    config.ogp_enable_meta_description = True
    config.ogp_description_length = DESCRIPTION_LIMIT
    config.ogp_custom_meta_tags = ['<meta name="twitter:card" content="summary_large_image" />']


def on_html_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """The 404 page is served at any address: no version switcher, scripts' root absolute."""
    if pagename != app.config.notfound_pagename:
        return
    context["content_root"] = app.config.notfound_urls_prefix
    end = context.get("theme_article_header_end")
    if end:
        items = [item.strip() for item in end.split(",")] if isinstance(end, str) else end
        context["theme_article_header_end"] = [i for i in items if i != SWITCHER_COMPONENT]


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    """Write the switcher list, what was built (for the publisher) and robots.txt."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    version, root = app.course_version, app.course_site_path  # type: ignore[attr-defined]
    info = {"version": version, "site_path": root}
    (outdir / BUILD_INFO_FILE).write_text(json.dumps(info) + "\n", encoding="utf-8")
    if version == LATEST:
        write_switcher(outdir, switcher_entries(git_tags(Path(app.srcdir)), root))
        if app.config.html_baseurl:
            robots = robots_txt(app.config.html_baseurl)
            (outdir / "robots.txt").write_text(robots, encoding="utf-8")
    else:  # a release reads the latest build's list and advertises nothing; remove what an
        # earlier latest build left in the same folder
        for name in (SWITCHER_FILE, "robots.txt", "sitemap.xml"):
            (outdir / name).unlink(missing_ok=True)


def note_written_page(app: Sphinx, pagename: str, templatename: str, context: dict,
                      doctree: Any) -> None:
    """Remember that this build wrote ``pagename`` (for ``list_unwritten_pages_in_the_sitemap``)."""
    if not hasattr(app, "course_written_pages"):
        app.course_written_pages = set()  # type: ignore[attr-defined]
    app.course_written_pages.add(pagename)  # type: ignore[attr-defined]


def list_unwritten_pages_in_the_sitemap(app: Sphinx, exception: Exception | None) -> None:
    """Give sphinx-sitemap the pages this build did not write again.

    sphinx-sitemap lists the pages written by the build that writes the sitemap, so after a
    rebuild that wrote one chapter the sitemap would list that chapter alone (an open upstream
    bug, jdillard/sphinx-sitemap#13). Its own per-page hook is called here for every other
    document, before it writes the sitemap.
    """
    if exception is not None or app.builder.format != "html":
        return
    from sphinx_sitemap import add_html_link

    written = getattr(app, "course_written_pages", set())
    for docname in sorted(app.env.found_docs - written):
        add_html_link(app, docname, "page.html", {}, None)


def setup(app: Sphinx) -> dict[str, Any]:
    """Load notfound, sitemap (latest only) and opengraph; connect the version switcher."""
    app.setup_extension("notfound.extension")
    # sphinxext-opengraph imports its social-card drawer, and with it matplotlib (0.6 s, a
    # quarter of a one-page book's rebuild), even when cards are off, as here (the card is a
    # committed image); where that import fails it carries on without cards. Done here, not in
    # build_book.py, so that every build has it: the tests' small books, make page, the sheet
    sys.modules.setdefault("sphinxext.opengraph._social_cards", None)  # type: ignore[arg-type]
    app.setup_extension("sphinxext.opengraph")
    if _version_for_sphinx() == LATEST:  # old versions are not advertised to search engines
        app.setup_extension("sphinx_sitemap")
        app.connect("html-page-context", note_written_page)
        # before sphinx-sitemap writes the file (priority 500)
        app.connect("build-finished", list_unwritten_pages_in_the_sitemap, priority=400)
    app.connect("config-inited", on_config_inited)
    app.connect("html-page-context", on_html_page_context, priority=450)
    app.add_css_file(STYLESHEET)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

