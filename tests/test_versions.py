"""The versioned site: switcher list, publishing into gh-pages, and the Sphinx settings."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

import course_versions as cv  # noqa: E402

BASEURL = "https://foundations-to-transformers.github.io/course/"
ROOT = "/course/"


def make_site(folder: Path, version: str = cv.LATEST, marker: str = "new") -> Path:
    """A small built site, as the book build leaves it."""
    (folder / "book").mkdir(parents=True)
    (folder / "index.html").write_text(f"<p>{marker} {version}</p>")
    (folder / "book" / "intro.html").write_text(f"<p>{marker} intro {version}</p>")
    cv.write_switcher(folder, cv.switcher_entries([], ROOT))
    info = {"version": version, "site_path": ROOT}
    (folder / cv.BUILD_INFO_FILE).write_text(json.dumps(info))
    return folder


def make_pages(folder: Path, tags: list[str] = ()) -> Path:
    """A gh-pages checkout holding an older latest version and the release folders ``tags``."""
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    (folder / "CNAME").write_text("course.example.org\n")
    make_site(folder / "old-root", marker="old")  # built into a temporary folder, then moved
    for item in (folder / "old-root").iterdir():
        item.rename(folder / item.name)
    (folder / "old-root").rmdir()
    (folder / "stale.html").write_text("a page the new build no longer has")
    for tag in tags:
        make_site(folder / tag, tag, marker="old")
    return folder


def switcher(folder: Path) -> list[dict]:
    return json.loads((folder / cv.SWITCHER_FILE).read_text())


# --- versions and paths ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, "latest"), ({"COURSE_VERSION": ""}, "latest"), ({"COURSE_VERSION": "latest"}, "latest"),
     ({"COURSE_VERSION": "v2026.1"}, "v2026.1"), ({"COURSE_VERSION": " v2027.2 "}, "v2027.2")],
)
def test_the_build_version_comes_from_the_environment(environ, expected):
    assert cv.build_version(environ) == expected


@pytest.mark.parametrize("bad", ["2026.1", "main", "v", "vX", "v2026.1/../x", "v2026 1"])
def test_a_version_that_is_not_a_release_tag_is_refused(bad):
    with pytest.raises(ValueError, match="not a release tag"):
        cv.build_version({"COURSE_VERSION": bad})
    with pytest.raises(ValueError, match="not a release tag"):
        cv.check_tag(bad)


def test_tags_sort_newest_first_by_number_and_drop_other_names():
    tags = ["v2025.2", "v2026.10", "v2026.9", "v2026.1", "v2026.9", "nightly", "2027.1"]
    assert cv.sort_tags(tags) == ["v2026.10", "v2026.9", "v2026.1", "v2025.2"]


@pytest.mark.parametrize(
    ("baseurl", "expected"),
    [(BASEURL, "/course/"), (BASEURL.rstrip("/"), "/course/"), ("https://example.org/", "/"),
     ("", "/"), (None, "/"), ("https://example.org/a/b/", "/a/b/")],
)
def test_the_site_path_comes_from_the_base_url(baseurl, expected):
    assert cv.site_path(baseurl) == expected


def test_each_version_has_its_own_path():
    assert cv.version_path(ROOT, "latest") == "/course/"
    assert cv.version_path(ROOT, "v2026.1") == "/course/v2026.1/"


def test_the_switcher_lists_latest_first_and_prefers_it():
    entries = cv.switcher_entries(["v2025.2", "v2026.1"], ROOT)
    assert [e["version"] for e in entries] == ["latest", "v2026.1", "v2025.2"]
    assert [e["url"] for e in entries] == ["/course/", "/course/v2026.1/", "/course/v2025.2/"]
    assert [e.get("preferred", False) for e in entries] == [True, False, False]
    assert all(e["name"] == e["version"] for e in entries)


def test_robots_txt_names_the_sitemap():
    text = cv.robots_txt(BASEURL)
    assert "User-agent: *" in text
    assert f"Sitemap: {BASEURL}sitemap.xml" in text.splitlines()


# --- publishing --------------------------------------------------------------------------


def test_publishing_latest_replaces_the_root_but_keeps_releases(tmp_path):
    site = make_site(tmp_path / "site")
    pages = make_pages(tmp_path / "pages", ["v2025.2", "v2026.1"])
    cv.publish(site, pages)
    assert "new latest" in (pages / "index.html").read_text()
    assert not (pages / "stale.html").exists()
    assert (pages / ".git" / "HEAD").is_file() and (pages / "CNAME").is_file()
    assert (pages / ".nojekyll").is_file()
    for tag in ("v2025.2", "v2026.1"):
        assert f"old intro {tag}" in (pages / tag / "book" / "intro.html").read_text()


def test_publishing_a_release_replaces_only_its_folder(tmp_path):
    pages = make_pages(tmp_path / "pages", ["v2025.2", "v2026.1"])
    (pages / "v2026.1" / "removed.html").write_text("gone in the new build")
    site = make_site(tmp_path / "site", "v2026.1")
    cv.publish(site, pages, "v2026.1")
    assert "new intro v2026.1" in (pages / "v2026.1" / "book" / "intro.html").read_text()
    assert not (pages / "v2026.1" / "removed.html").exists()
    assert "old intro v2025.2" in (pages / "v2025.2" / "book" / "intro.html").read_text()
    assert "old latest" in (pages / "index.html").read_text()
    assert (pages / "stale.html").is_file()  # the root is the latest build's business


def test_a_new_release_is_listed_by_every_published_version(tmp_path):
    pages = make_pages(tmp_path / "pages", ["v2025.2", "v2026.9"])
    written = cv.publish(make_site(tmp_path / "site", "v2026.10"), pages, "v2026.10")
    expected = ["latest", "v2026.10", "v2026.9", "v2025.2"]
    assert len(written) == 4
    for folder in (pages, pages / "v2025.2", pages / "v2026.9", pages / "v2026.10"):
        entries = switcher(folder)
        assert [e["version"] for e in entries] == expected, folder
        assert [e for e in entries if e.get("preferred")] == [entries[0]]


def test_every_switcher_url_resolves_in_the_published_site(tmp_path):
    pages = make_pages(tmp_path / "pages", ["v2025.2"])
    cv.publish(make_site(tmp_path / "tag", "v2026.1"), pages, "v2026.1")
    cv.publish(make_site(tmp_path / "latest"), pages)
    for entry in switcher(pages / "v2026.1"):
        assert entry["url"].startswith(ROOT) and entry["url"].endswith("/"), entry
        folder = pages / entry["url"][len(ROOT) :]
        assert (folder / "index.html").is_file(), entry
        assert (folder / cv.SWITCHER_FILE).is_file(), entry


def test_the_first_release_before_any_latest_lists_only_what_exists(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    cv.publish(make_site(tmp_path / "site", "v2026.1"), pages, "v2026.1")
    assert [e["version"] for e in switcher(pages / "v2026.1")] == ["v2026.1"]


def test_a_site_without_index_html_is_refused(tmp_path):
    site = make_site(tmp_path / "site")
    (site / "index.html").unlink()
    with pytest.raises(ValueError, match="no index.html"):
        cv.publish(site, make_pages(tmp_path / "pages"))


def test_a_site_not_built_by_the_book_is_refused(tmp_path):
    site = make_site(tmp_path / "site")
    (site / cv.BUILD_INFO_FILE).unlink()
    with pytest.raises(ValueError, match="not built with course_versions"):
        cv.publish(site, make_pages(tmp_path / "pages"))


def test_a_bad_tag_is_refused_before_anything_changes(tmp_path):
    pages = make_pages(tmp_path / "pages")
    before = sorted(p.relative_to(pages) for p in pages.rglob("*"))
    with pytest.raises(ValueError, match="not a release tag"):
        cv.publish(make_site(tmp_path / "site", "v2026.1"), pages, "2026.1")
    assert sorted(p.relative_to(pages) for p in pages.rglob("*")) == before


@pytest.mark.parametrize(("built", "tag"), [("latest", "v2026.1"), ("v2026.1", None),
                                            ("v2026.1", "v2026.2")])
def test_a_site_built_as_another_version_is_refused(tmp_path, built, tag):
    site = make_site(tmp_path / "site", built)
    with pytest.raises(ValueError, match="COURSE_VERSION"):
        cv.publish(site, make_pages(tmp_path / "pages"), tag)


def test_missing_or_overlapping_pages_are_refused(tmp_path):
    site = make_site(tmp_path / "site")
    with pytest.raises(ValueError, match="not a folder"):
        cv.publish(site, tmp_path / "nowhere")
    with pytest.raises(ValueError, match="must not overlap"):
        cv.publish(site, tmp_path)


def test_the_command_line_reports_errors_clearly(tmp_path, capsys):
    pages = make_pages(tmp_path / "pages")
    site = make_site(tmp_path / "site")
    assert cv.main(["publish", "--site", str(site), "--pages", str(pages), "--tag", "x1"]) == 2
    assert "'x1' is not a release tag" in capsys.readouterr().err
    assert cv.main(["publish", "--site", str(tmp_path), "--pages", str(pages)]) == 2
    assert "no index.html" in capsys.readouterr().err
    assert cv.main(["publish", "--site", str(site), "--pages", str(pages)]) == 0
    assert "1 switcher file(s)" in capsys.readouterr().out


# --- Sphinx settings ---------------------------------------------------------------------


def configure(monkeypatch, version: str | None) -> SimpleNamespace:
    """Run the config-inited handler on a stand-in configuration."""
    if version is None:
        monkeypatch.delenv(cv.VERSION_ENV, raising=False)
    else:
        monkeypatch.setenv(cv.VERSION_ENV, version)
    config = SimpleNamespace(
        html_baseurl=BASEURL,
        html_theme="sphinx_book_theme",
        html_theme_options={},
        html_static_path=[],
        html_title="From Foundations to Transformers",
        project="Project name not set",
    )
    app = SimpleNamespace(confdir=str(REPO_ROOT))
    cv.on_config_inited(app, config)
    return config


def test_a_release_build_points_its_404_page_and_metadata_at_its_folder(monkeypatch):
    config = configure(monkeypatch, "v2026.1")
    assert config.notfound_urls_prefix == "/course/v2026.1/"
    assert 'href="/course/v2026.1/"' in config.notfound_context["body"]
    assert config.ogp_site_url == BASEURL + "v2026.1/"
    assert config.html_theme_options["switcher"] == {
        "json_url": cv.SWITCHER_FILE, "version_match": "v2026.1"
    }
    assert not hasattr(config, "sitemap_url_scheme")  # releases are not advertised


def test_the_latest_build_adds_the_switcher_before_the_page_buttons(monkeypatch):
    config = configure(monkeypatch, None)
    options = config.html_theme_options
    assert options["article_header_end"] == [cv.SWITCHER_COMPONENT, cv.HEADER_BUTTONS]
    assert options["check_switcher"] is False
    assert not options["switcher"]["json_url"].startswith(("/", "http"))  # same site, relative
    assert config.notfound_urls_prefix == "/course/"
    assert config.sitemap_url_scheme == "{link}"
    assert config.ogp_site_name == "From Foundations to Transformers"
    assert config.ogp_social_cards == {"enable": False}
    assert any("twitter:card" in tag for tag in config.ogp_custom_meta_tags)
    assert str(cv.STATIC_DIR) in config.html_static_path


def test_the_social_card_is_a_small_1200_by_630_png():
    data = (cv.STATIC_DIR / Path(cv.SOCIAL_CARD_OUT).name).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 630)
    assert len(data) < 100_000
