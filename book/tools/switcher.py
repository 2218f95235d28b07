"""Write the version switcher's list: ``python book/tools/switcher.py --out DIR``.

Every published version reads one list, the site root's ``_static/switcher.json`` (see
``book/_ext/course_versions.py``). The latest build writes it; when a release is published, the
workflow writes it again with this tool, from the repository's tags, so that every version,
old ones included, lists the new release.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))  # the build's modules
import course_versions as cv
from layout import CONFIG_FILE, REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    """Write ``DIR/_static/switcher.json``: latest, then the release tags, newest first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the folder to write into")
    parser.add_argument("--baseurl", help="the site's address (default: html.baseurl)")
    args = parser.parse_args(argv)
    baseurl = args.baseurl
    if baseurl is None:
        baseurl = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))["html"]["baseurl"]
    entries = cv.switcher_entries(cv.git_tags(REPO_ROOT), cv.site_path(baseurl))
    print(f"wrote {cv.write_switcher(args.out, entries)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
