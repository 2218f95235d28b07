"""Lighthouse's performance score of chosen pages, several runs each, phone or desktop.

    python benchmarks/lighthouse.py book/positions.html book/hopfield.html --runs 3
    python benchmarks/lighthouse.py --all --runs 1 --form-factor desktop

Run it after ``make book`` and ``make lint`` (which installs Lighthouse), on a quiet machine:
the score is simulated from timings taken on this machine. It serves the built site as GitHub
Pages does (``serve.SiteServer``) and runs each audit the way ``make lighthouse`` does
(``tests/test_lighthouse.run_lighthouse``); prints each run's score, first paint, largest
paint, blocking time and transfer weight, and each page's median. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT / "tests"), str(REPO_ROOT / "book" / "tools"),
                str(REPO_ROOT / "book" / "_ext")]

from browser import SITE  # noqa: E402
from serve import SiteServer  # noqa: E402
from test_lighthouse import FORM_FACTORS, run_lighthouse  # noqa: E402

TIMINGS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages of the site, e.g. book/gpt.html")
    parser.add_argument("--all", action="store_true", help="every page of the site's book/")
    parser.add_argument("--runs", type=int, default=3, help="audits of each page (default 3)")
    parser.add_argument("--form-factor", choices=sorted(FORM_FACTORS), default="mobile")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not (SITE / "index.html").is_file():
        sys.exit(f"no built site in {SITE}: run `make book` first")
    pages = sorted(p.relative_to(SITE).as_posix() for p in (SITE / "book").glob("*.html")) \
        if args.all else args.pages  # fmt: skip
    if not pages:
        parser.error("name some pages, or --all")
    missing = [page for page in pages if not (SITE / page).is_file()]
    if missing:
        parser.error(f"not in the built site: {', '.join(missing)}")
    medians = {}
    with SiteServer(SITE) as server, tempfile.TemporaryDirectory() as folder:
        for page in pages:
            scores = []
            for run in range(args.runs):
                report = Path(folder) / f"{run}.json"
                result = run_lighthouse(server.url + page, args.form_factor, report,
                                        ("performance",))
                audits = result["audits"]
                scores.append(result["categories"]["performance"]["score"])
                timings = ", ".join(audits[name]["displayValue"] for name in TIMINGS)
                weight = audits["total-byte-weight"]["numericValue"] / 1024
                print(f"{page} run {run + 1}: {scores[-1]:.2f} (FCP, LCP, TBT: {timings}; "
                      f"{weight:.0f} KiB)", flush=True)
            medians[page] = statistics.median(scores)
    print(f"\n| page | {args.form_factor} performance, median of {args.runs} |\n|---|---|")
    for page, median in medians.items():
        print(f"| {page} | {median:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
