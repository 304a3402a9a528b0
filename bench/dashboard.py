"""Benchmark of the officials' dashboard: build it from a warehouse, then load it in chromium.

    python -m bench.dashboard --home /path/to/home     # a home that `epilake run` filled

Times the build (marts -> suppressed data -> page) and, over several loads of the page from
file:// in headless chromium, the time until every chart is drawn (``data-ready-ms``).
Results go to ``bench/results/<date>-dashboard.json``. Floor (issue #6): under 1 second.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from playwright.sync_api import sync_playwright
from rich.console import Console

from bench.common import append_result, machine
from dashboards.build import build_dashboard

FLOOR_LOAD_MS = 1000
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


def load_times(page_path: Path, chromium: str, loads: int) -> list[float]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        times = []
        for _ in range(loads):
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(page_path.as_uri())
            tab.wait_for_selector("body[data-ready=true]")
            times.append(float(tab.get_attribute("body", "data-ready-ms")))
            tab.close()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        page = build_dashboard(args.home / "warehouse.duckdb", Path(folder), run_id="bench")
        build_seconds = time.perf_counter() - began
        size_kib = page.stat().st_size / 1024
        times = load_times(page, args.chromium, args.loads)
    result = {
        "date": date.today().isoformat(),
        "label": args.label,
        "machine": machine(),
        "build_seconds": round(build_seconds, 2),
        "page_kib": round(size_kib),
        "loads": len(times),
        "load_ms_median": round(statistics.median(times), 1),
        "load_ms_max": round(max(times), 1),
        "floor_ms": FLOOR_LOAD_MS,
        "floor_ok": max(times) < FLOOR_LOAD_MS,
    }
    console.print(
        f"dashboard: built in {result['build_seconds']} s ({result['page_kib']} KiB); "
        f"ready in {result['load_ms_median']} ms median, {result['load_ms_max']} ms worst "
        f"of {len(times)} loads (floor {FLOOR_LOAD_MS} ms)"
    )
    console.print(f"results appended to {append_result(result, 'dashboard')}")


if __name__ == "__main__":
    main()
