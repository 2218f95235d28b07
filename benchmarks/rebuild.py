"""Time the author's rebuild loop: ``make book`` with no change, and after a prose edit.

    python benchmarks/rebuild.py                 # three of each, in this checkout
    python benchmarks/rebuild.py --repeat 5 --chapter book/gpt.md

Run it after one full ``make book`` (the execution cache and the site must exist). Each
prose edit appends a sentence no earlier run wrote to the chapter as a new last paragraph, so
the page must be rebuilt (and its PDF reprinted) but no code cell changes; the chapter is
restored afterwards and the book rebuilt once more, so the checkout ends as it started. Prints
each time and the median of each kind. A benchmark, not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def timed_build(make: str) -> float:
    """Seconds one ``make book`` takes; its output goes to ``_build/benchmark-make.log``."""
    log = REPO_ROOT / "_build" / "benchmark-make.log"
    start = time.perf_counter()
    with log.open("w") as out:
        result = subprocess.run([make, "book"], cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    print(f"  make book: {seconds:.1f} s", flush=True)
    if result.returncode != 0:
        sys.exit(f"make book failed (exit {result.returncode}); see {log}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="builds of each kind (default 3)")
    parser.add_argument("--chapter", default="book/hopfield.md", help="the chapter to edit")
    parser.add_argument("--make", default="make", help="the make program")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    chapter = REPO_ROOT / args.chapter
    if not chapter.is_file():
        parser.error(f"no chapter {chapter}")
    if not (REPO_ROOT / "_build" / "html" / "index.html").is_file():
        sys.exit("no built site: run `make book` once first, then this benchmark")

    timed_build(args.make)  # settle: whatever was out of date is built now, not timed
    unchanged = [timed_build(args.make) for _ in range(args.repeat)]
    original = chapter.read_text(encoding="utf-8")
    edited = []
    # a sentence no earlier run wrote: the build's caches of parsed chapters and printed pages
    # are keyed by content, and would otherwise answer a repeated benchmark from its last run
    run = time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        for n in range(args.repeat):
            chapter.write_text(
                original.rstrip("\n") + f"\n\nBenchmark edit {n + 1} ({run}).\n", encoding="utf-8"
            )
            edited.append(timed_build(args.make))
    finally:
        chapter.write_text(original, encoding="utf-8")
    timed_build(args.make)

    for label, times in (("no change", unchanged), (f"prose edit of {args.chapter}", edited)):
        shown = ", ".join(f"{t:.1f}" for t in times)
        print(f"{label}: median {statistics.median(times):.1f} s ({shown})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
