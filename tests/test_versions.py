"""The versioned site: the switcher list, publishing by the workflow, the Sphinx settings."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import course_versions as cv
import pytest
import yaml
from layout import REPO_ROOT

BASEURL = "https://foundations-to-transformers.github.io/course/"
ROOT = "/course/"
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "book.yml"
DEPLOY_ACTION = "JamesIves/github-pages-deploy-action"


def make_site(folder: Path, version: str = cv.LATEST, marker: str = "new") -> Path:
    """A small built site, as the book build leaves it."""
    (folder / "book").mkdir(parents=True)
    (folder / "_static").mkdir()
    (folder / "index.html").write_text(f"<p>{marker} {version}</p>")
    (folder / "book" / "intro.html").write_text(f"<p>{marker} intro {version}</p>")
    if version == cv.LATEST:  # a release reads the latest build's list
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


# --- publishing: the workflow's deploy steps, applied to a gh-pages folder -------------
#
# The workflow publishes with JamesIves/github-pages-deploy-action. `deploy` applies a step's
# inputs as that action documents them: the folder's files are copied into `target-folder`
# (default: the branch root), and with `clean` (default: true) whatever else is in that folder
# goes, except `.git` and the `clean-exclude` patterns. These tests run the workflow's own
# inputs, so a change of the workflow that would lose a release, or leave a version with no
# switcher list, fails here.


def deploy_steps() -> dict[str, dict]:
    """The workflow's deploy steps, by name, with their inputs."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["publish"]["steps"]
    return {step["name"]: step for step in steps if DEPLOY_ACTION in step.get("uses", "")}


def deploy(step: dict, workspace: Path, pages: Path, tag: str = "") -> None:
    """Apply one deploy step to the gh-pages folder ``pages``, for the ref ``tag`` (or main)."""
    inputs = {key: str(value).replace("${{ github.ref_name }}", tag)
              for key, value in step["with"].items()}
    source = workspace / inputs["folder"]
    target = pages / inputs.get("target-folder", "")
    target.mkdir(parents=True, exist_ok=True)
    if inputs.get("clean", "true") != "false":
        keep = [line.strip() for line in inputs.get("clean-exclude", "").splitlines() if line]
        for item in target.iterdir():
            if item.name == ".git" or any(fnmatch.fnmatch(item.name, k) for k in keep):
                continue
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    shutil.copytree(source, target, dirs_exist_ok=True)


def publish(workspace: Path, pages: Path, site: Path, tag: str = "") -> None:
    """Run the publish job's deploy steps for main (no ``tag``) or a release."""
    shutil.rmtree(workspace / "_site", ignore_errors=True)
    shutil.copytree(site, workspace / "_site")
    cv.write_switcher(workspace / "_switcher", cv.switcher_entries(TAGS_NOW, ROOT))
    for step in deploy_steps().values():
        runs_for_tag = "tag" in step["if"]
        if runs_for_tag == bool(tag):
            deploy(step, workspace, pages, tag)


TAGS_NOW = ["v2025.2", "v2026.1"]  # the repository's tags when the publish job runs


def switcher_read_by(pages: Path, version: str) -> list[dict]:
    """The switcher list a version's pages load, by its relative or absolute address."""
    url = cv.switcher_url(BASEURL, version)
    if url.startswith(BASEURL):  # an address on the site: the file in the pages at that path
        path = pages / url[len(BASEURL):]
    else:  # relative to the version's own folder
        path = pages / cv.version_path(ROOT, version)[len(ROOT):] / url
    return json.loads(path.read_text())


def test_the_workflow_deploys_main_at_the_root_and_releases_in_their_folders():
    steps = deploy_steps()
    assert steps, f"no {DEPLOY_ACTION} step in the publish job"
    for step in steps.values():
        assert step["with"].get("branch", "gh-pages") == "gh-pages", step["name"]


def test_publishing_main_replaces_the_root_but_keeps_releases(tmp_path):
    pages = make_pages(tmp_path / "pages", ["v2025.2"])
    publish(tmp_path, pages, make_site(tmp_path / "site"))
    assert "new latest" in (pages / "index.html").read_text()
    assert not (pages / "stale.html").exists()
    assert (pages / ".git" / "HEAD").is_file() and (pages / "CNAME").is_file()
    assert "old intro v2025.2" in (pages / "v2025.2" / "book" / "intro.html").read_text()


def test_publishing_a_release_replaces_only_its_folder(tmp_path):
    pages = make_pages(tmp_path / "pages", ["v2025.2", "v2026.1"])
    (pages / "v2026.1" / "removed.html").write_text("gone in the new build")
    publish(tmp_path, pages, make_site(tmp_path / "site", "v2026.1"), "v2026.1")
    assert "new intro v2026.1" in (pages / "v2026.1" / "book" / "intro.html").read_text()
    assert not (pages / "v2026.1" / "removed.html").exists()
    assert "old intro v2025.2" in (pages / "v2025.2" / "book" / "intro.html").read_text()
    assert "old latest" in (pages / "index.html").read_text()
    assert (pages / "stale.html").is_file()  # the root is the latest build's business


def test_every_version_lists_a_new_release_and_every_entry_resolves(tmp_path):
    pages = make_pages(tmp_path / "pages", ["v2025.2"])  # published before v2026.1 existed
    publish(tmp_path, pages, make_site(tmp_path / "site", "v2026.1"), "v2026.1")
    for version in ("latest", "v2025.2", "v2026.1"):
        entries = switcher_read_by(pages, version)
        assert [e["version"] for e in entries] == ["latest", *TAGS_NOW[::-1]], version
        for entry in entries:
            assert (pages / entry["url"][len(ROOT):] / "index.html").is_file(), entry


def test_a_release_reads_the_latest_list_by_its_address_and_latest_by_a_relative_one():
    assert cv.switcher_url(BASEURL, "latest") == cv.SWITCHER_FILE
    assert cv.switcher_url(BASEURL, "v2026.1") == BASEURL + cv.SWITCHER_FILE
    assert cv.switcher_url(BASEURL.rstrip("/"), "v2026.1") == BASEURL + cv.SWITCHER_FILE


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
        "json_url": BASEURL + cv.SWITCHER_FILE, "version_match": "v2026.1"
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


def test_a_rebuild_that_writes_one_page_still_lists_every_page_in_the_sitemap(monkeypatch):
    import sphinx_sitemap

    listed = []
    monkeypatch.setattr(sphinx_sitemap, "add_html_link",
                        lambda app, pagename, *rest: listed.append(pagename))
    app = SimpleNamespace(builder=SimpleNamespace(format="html"),
                          env=SimpleNamespace(found_docs={"book/intro", "book/gpt", "book/bpe"}))
    for page in ("book/gpt", "genindex"):  # what this build wrote (and sphinx-sitemap listed)
        cv.note_written_page(app, page, "page.html", {}, None)
    cv.list_unwritten_pages_in_the_sitemap(app, None)
    assert listed == ["book/bpe", "book/intro"]
    listed.clear()
    cv.list_unwritten_pages_in_the_sitemap(app, RuntimeError("the build failed"))
    assert listed == []


def test_opengraph_loads_without_its_card_drawer_and_matplotlib():
    """The extension keeps sphinxext-opengraph's social-card drawer (and matplotlib with it)
    from loading: the card is a committed image. Run in a fresh process, which nothing else
    has made import matplotlib."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO_ROOT / 'book' / '_ext')!r})\n"
        "import course_versions\n"
        "class App:\n"
        "    def setup_extension(self, name): __import__(name)\n"
        "    def connect(self, *args, **kwargs): pass\n"
        "    def add_css_file(self, *args, **kwargs): pass\n"
        "course_versions.setup(App())\n"
        "import sphinxext.opengraph as og\n"
        "print(og.create_social_card is None, 'matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["True", "False"], done.stdout
