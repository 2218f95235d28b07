"""Checks of the built site's publishing features: 404 page, sitemap, social cards, versions.

Run after the book build (``make site-tests``). ``COURSE_SITE`` points them at another built
site than ``_build/html``.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import layout
import pytest
import yaml
from layout import REPO_ROOT

SITE = Path(os.environ.get("COURSE_SITE") or REPO_ROOT / "_build" / "html")

import course_versions as cv  # noqa: E402

# one worker runs this file: its module fixtures are costly to build twice
pytestmark = [pytest.mark.site, pytest.mark.xdist_group("test_site_publishing")]
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


class _Head(HTMLParser):
    """Collects a page's meta tags (by name or property) and its local links and assets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        key = attributes.get("property") or attributes.get("name")
        if tag == "meta" and key:
            self.meta[key] = attributes.get("content") or ""
        for name in ("href", "src"):
            if attributes.get(name):
                self.urls.append(attributes[name])


def _parse(path: Path) -> _Head:
    page = _Head()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _toc_pages() -> list[str]:
    return [chapter.docname for chapter in layout.read_toc()]


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site in {SITE}: run `make build` (or `make book`) first")
    return SITE


@pytest.fixture(scope="module")
def build(site) -> dict:
    """The version built, its path on the site and its published address."""
    info = cv.read_build_info(site)
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())
    baseurl = config["html"]["baseurl"]
    assert info["site_path"] == cv.site_path(baseurl)
    prefix = cv.version_path(info["site_path"], info["version"])
    host = urlsplit(baseurl)
    return {**info, "baseurl": baseurl, "prefix": prefix,
            "url": f"{host.scheme}://{host.netloc}{prefix}"}


@pytest.fixture(scope="module")
def latest(site, build) -> dict | None:
    """The latest build's facts; None for a release build, which must advertise nothing."""
    if build["version"] != cv.LATEST:
        assert not (site / "sitemap.xml").exists(), "a release build must not have a sitemap"
        assert not (site / "robots.txt").exists(), "a release build must not have robots.txt"
        return None
    return build


def test_the_404_page_links_under_the_version_folder(site, build):
    page = site / "404.html"
    assert page.is_file(), "no 404.html"
    text = page.read_text(encoding="utf-8")
    assert "Page not found" in text
    local = [
        url for url in _parse(page).urls
        if not urlsplit(url).scheme and not url.startswith(("#", "//", "mailto:"))
    ]
    assert local, "the 404 page links nowhere"
    relative = [url for url in local if not url.startswith(build["prefix"])]
    assert not relative, f"404 links that break when served at any address: {relative[:10]}"
    assert build["prefix"] in local, "the 404 page has no link to the home page"
    assert f'data-content_root="{build["prefix"]}"' in text
    assert "version-switcher__container" not in text


def test_the_sitemap_lists_every_chapter_by_its_published_address(site, latest):
    if latest is None:
        return  # a release build: the fixture checked that there is no sitemap
    tree = ElementTree.parse(site / "sitemap.xml")
    locations = [loc.text for loc in tree.getroot().findall("sm:url/sm:loc", SITEMAP_NS)]
    assert len(locations) == len(set(locations)), "repeated sitemap entries"
    expected = {f"{latest['baseurl']}{page}.html" for page in _toc_pages()}
    missing = expected - set(locations)
    assert not missing, f"chapters missing from the sitemap: {sorted(missing)}"
    for location in locations:
        assert location.startswith(latest["baseurl"]), location
        relative = location[len(latest["baseurl"]) :]
        assert (site / relative).is_file(), f"{location} is not a page of the site"
        assert not re.search(r"(^|/)(404|search|genindex)\.html$", relative), location


def test_robots_txt_points_to_the_sitemap(site, latest):
    if latest is None:
        return  # a release build: the fixture checked that there is no robots.txt
    lines = (site / "robots.txt").read_text().splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {latest['baseurl']}sitemap.xml" in lines
    assert "Disallow: /" not in lines


def test_every_chapter_has_social_card_metadata(site, build):
    image = f"{build['url']}{cv.SOCIAL_CARD_OUT}"
    card = site / cv.SOCIAL_CARD_OUT
    assert card.is_file(), f"{cv.SOCIAL_CARD_OUT} was not published"
    assert card.read_bytes()[:4] == b"\x89PNG" and card.stat().st_size < 100_000
    problems = []
    for page in _toc_pages():
        meta = _parse(site / f"{page}.html").meta
        wanted = {
            "og:url": f"{build['url']}{page}.html",
            "og:image": image,
            "twitter:card": "summary_large_image",
            "og:site_name": "From Foundations to Transformers",
        }
        problems += [
            f"{page}: {key} is {meta.get(key)!r}, not {value!r}"
            for key, value in wanted.items() if meta.get(key) != value
        ]
        problems += [f"{page}: no {key}" for key in ("og:title", "og:description")
                     if len(meta.get(key, "").strip()) < 3]
    assert not problems, "\n".join(problems)


def test_the_switcher_list_is_valid(site, build, latest):
    if latest is None:  # a release reads the latest build's list, by its address
        assert not (site / cv.SWITCHER_FILE).exists(), "a release must not have its own list"
        return
    entries = json.loads((site / cv.SWITCHER_FILE).read_text())
    assert isinstance(entries, list) and entries
    assert all({"name", "version", "url"} <= set(entry) for entry in entries), entries
    assert entries[0] == {"name": "latest", "version": "latest", "url": build["site_path"],
                          "preferred": True}
    assert [e for e in entries if e.get("preferred")] == [entries[0]]
    tags = [entry["version"] for entry in entries[1:]]
    assert tags == cv.sort_tags(tags), "releases are not listed newest first"
    assert build["version"] in [entry["version"] for entry in entries]
    for entry in entries:
        assert entry["url"] == cv.version_path(build["site_path"], entry["version"]), entry


def test_every_chapter_has_the_version_switcher_in_its_header(site, build):
    missing = []
    for page in _toc_pages():
        text = (site / f"{page}.html").read_text(encoding="utf-8")
        start = text.find('class="bd-header-article')
        header = text[start : text.find('<article class="bd-article"', start)]
        end_items = header.split("header-article-items__end")[-1]
        if start < 0 or "version-switcher__button" not in end_items:
            missing.append(f"{page}: no switcher at the end of the article header")
        url = cv.switcher_url(build["baseurl"], build["version"])
        if f"theme_switcher_json_url = '{url}'" not in text:
            missing.append(f"{page}: the switcher list is not read from {url}")
        if f"theme_switcher_version_match = '{build['version']}'" not in text:
            missing.append(f"{page}: the switcher does not mark {build['version']}")
    assert not missing, "\n".join(missing)
