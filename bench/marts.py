"""Benchmark of the warehouse: ``dbt build`` on a lake's silver tables, then the dashboard's
queries against the marts.

    python -m bench.marts --home /path/to/home     # a home that `epilake run` filled

Deletes and rebuilds ``<home>/warehouse.duckdb`` with ``dbt build`` (seeds, every model,
every data and unit test) and times it, with the dbt child's peak memory and the slowest
models; then runs each query of ``dashboards/queries.py`` for every okrug filter and two
date ranges, and reports p50/p95 latency. Results go to ``bench/results/<date>-marts.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from bench.common import append_result, machine
from dagster_project.defs.dbt.resources import DBT_PROJECT_DIR, dbt_executable
from dashboards.queries import DASHBOARD_QUERIES, run_dashboard_query
from epilake.duckdb_delta import connect
from epilake.extracts.specs import ALL_SILVER
from epilake.settings import PINNED_VERSIONS_ENV, UNPINNED_VERSIONS
from spark_jobs.register import codes as register_codes

FLOOR_BUILD_SECONDS = 180  # issue #9: dbt build on the 1,000,000-patient year under 3 minutes
FLOOR_P95_MS = 50  # ... and the dashboard queries' p95 under 50 ms
OKRUGS = ("all", *register_codes.OKRUGS)  # the page's okrug filter values


def silver_rows(lake: Path) -> dict[str, int]:
    with connect() as connection:
        return {
            table: connection.execute(
                f"select count(*) from delta_scan('{lake / 'silver' / table}')"
            ).fetchone()[0]
            for table in ALL_SILVER
        }


def build(home: Path, console: Console) -> dict:
    """``dbt build`` from scratch into ``<home>/warehouse.duckdb``."""
    warehouse = home / "warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    env = os.environ | {
        "EPILAKE_LAKE": str(home / "lake"),
        "EPILAKE_BUILD_WAREHOUSE": str(warehouse),
        PINNED_VERSIONS_ENV: UNPINNED_VERSIONS,
    }
    with tempfile.TemporaryDirectory() as target:
        command = [dbt_executable(), "build", "--profiles-dir", ".", "--target-path", target]
        console.print(f"[bold]dbt build[/] on {home / 'lake'} ...")
        began = time.perf_counter()
        completed = subprocess.run(
            command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - began
        if completed.returncode != 0:
            raise SystemExit(f"dbt build failed:\n{completed.stdout[-3000:]}")
        nodes = json.loads((Path(target) / "run_results.json").read_text())["results"]
    slowest = sorted(nodes, key=lambda n: n["execution_time"], reverse=True)[:6]
    return {
        "seconds": round(seconds, 1),
        "nodes": len(nodes),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, 2),
        "slowest": [
            {"node": n["unique_id"], "seconds": round(n["execution_time"], 2)} for n in slowest
        ],
        "warehouse_mib": round(warehouse.stat().st_size / 2**20, 1),
    }


def query_latency(warehouse: Path, rounds: int) -> dict:
    """p50/p95 (ms) of every dashboard query, for each okrug filter and two date ranges."""
    with connect(warehouse, read_only=True) as connection:
        first, last = connection.execute(
            "select min(date), max(date) from marts.fct_cases_daily"
        ).fetchone()
        ranges = [(first, last), (max(first, last - timedelta(days=89)), last)]
        for name in DASHBOARD_QUERIES:  # warm-up: the first query of each kind opens files
            run_dashboard_query(connection, name, "all", first, last)
        timings: dict[str, list[float]] = {name: [] for name in DASHBOARD_QUERIES}
        for _ in range(rounds):
            for name in DASHBOARD_QUERIES:
                for okrug in OKRUGS:
                    for start, end in ranges:
                        began = time.perf_counter()
                        run_dashboard_query(connection, name, okrug, start, end)
                        timings[name].append((time.perf_counter() - began) * 1000)
    every = [t for values in timings.values() for t in values]
    return {
        "queries": len(every),
        "p50_ms": round(statistics.median(every), 2),
        "p95_ms": round(_percentile(every, 95), 2),
        "by_query_p95_ms": {name: round(_percentile(v, 95), 2) for name, v in timings.items()},
    }


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="home whose lake/ holds silver")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every dashboard query")
    parser.add_argument("--label", default="", help="free text, e.g. the scale")
    args = parser.parse_args()
    console = Console()
    rows = silver_rows(args.home / "lake")
    console.print(f"silver rows: {sum(rows.values()):,} ({rows})")
    built = build(args.home, console)
    console.print(
        f"dbt build: {built['seconds']} s for {built['nodes']} nodes "
        f"(floor {FLOOR_BUILD_SECONDS} s), peak {built['peak_rss_gib']} GiB"
    )
    latency = query_latency(args.home / "warehouse.duckdb", args.rounds)
    console.print(
        f"dashboard queries: {latency['queries']} runs, p50 {latency['p50_ms']} ms, "
        f"p95 {latency['p95_ms']} ms (floor {FLOOR_P95_MS} ms)"
    )
    result = {
        "date": date.today().isoformat(),
        "label": args.label,
        "machine": machine(),
        "silver_rows": rows,
        "records_per_second": round(sum(rows.values()) / built["seconds"]),
        "build": built,
        "latency": latency,
        "floors": {
            "build_seconds": FLOOR_BUILD_SECONDS,
            "build_ok": built["seconds"] < FLOOR_BUILD_SECONDS,
            "p95_ms": FLOOR_P95_MS,
            "p95_ok": latency["p95_ms"] < FLOOR_P95_MS,
        },
    }
    console.print(f"results appended to {append_result(result, 'marts')}")


if __name__ == "__main__":
    main()
