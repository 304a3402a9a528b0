"""Benchmark of ingestion: landing -> bronze/quarantine -> silver for all four feeds.

    python -m bench.ingest --patients 1000000 --days 365 [--spark server]

Generates ``days + 1`` days of feeds (or reuses ``--landing``), holds the last delivery
day back, loads the year (one child process, one Spark session, stage by stage), then
returns the held day and loads it as an incremental run in a fresh process (JVM start
included). With ``--spark server`` the day before the last is held back too: after the
(embedded) year, a Spark Connect server (``epilake spark-server``) loads that day (its
first, warming up) and then the last day, the measured one; the last day is also loaded
with an embedded JVM on a copy of the lake, for comparison. Records per second per stage
and peak memory (Python + JVM high-water marks) go to ``bench/results/<date>-ingest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from bench.common import (
    append_result,
    give_back,
    hold_back,
    machine,
    spark_server,
    warm_up_figures,
)
from epilake.spark_server import ServerState

FLOOR_FULL_SECONDS = 20 * 60  # issue #4: the full year in under 20 minutes ...
FLOOR_DAY_SECONDS = 60  # ... and one more day in under 60 seconds

CHILD = """
import json, os, sys, time
from pathlib import Path
from epilake.settings import get_settings
from epilake.spark import get_spark, is_remote, release_remote_sessions
from spark_jobs.lab import job as lab
from spark_jobs.records import job as records
from spark_jobs.register import job as register
from spark_jobs.tracing import job as tracing

def high_water_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0

began = time.perf_counter()
settings = get_settings()
spark = get_spark(settings, "bench-ingest")
stages = [{"stage": "spark session", "seconds": time.perf_counter() - began, "records": 0}]
jobs = {"register": register, "lab": lab, "records": records, "tracing": tracing}
for name, job in jobs.items():
    t = time.perf_counter()
    summary = job.ingest_bronze(spark, settings)
    stages.append({"stage": f"bronze {name}", "seconds": time.perf_counter() - t,
                   "records": summary.records_read, "reconciles": summary.reconciles,
                   "quarantined": summary.records_quarantined})
for name, job in jobs.items():
    t = time.perf_counter()
    result = job.promote_to_silver(spark, settings)
    parts = result if isinstance(result, list) else [result]
    stages.append({"stage": f"silver {name}", "seconds": time.perf_counter() - t,
                   "records": sum(p.rows_in for p in parts),
                   "tables": {p.table: p.rows_total for p in parts}})
seconds = time.perf_counter() - began
# Served: the server's high-water mark is its whole life's (the runs before this one too).
jvm = int(os.environ["BENCH_SERVER_PID"]) if is_remote(spark) else spark.sparkContext._gateway.proc.pid
peak = high_water_kib(os.getpid()) + high_water_kib(jvm)
release_remote_sessions()
print(json.dumps({"stages": stages, "seconds": seconds, "peak_kib": peak}))
"""


def _run_child(landing: Path, home: Path, server: ServerState | None = None) -> dict:
    env = {"EPILAKE_LANDING": str(landing), "EPILAKE_HOME": str(home)}
    if server is not None:
        env |= {"EPILAKE_SPARK_REMOTE": str(server.url), "BENCH_SERVER_PID": str(server.pid)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def _figures(run: dict) -> dict:
    stages = [
        {
            **stage,
            "seconds": round(stage["seconds"], 1),
            "records_per_second": round(stage["records"] / stage["seconds"])
            if stage["records"]
            else None,
        }
        for stage in run["stages"]
    ]
    return {
        "seconds": round(run["seconds"], 1),
        "peak_memory_gib": round(run["peak_kib"] / 2**20, 2),
        "stages": stages,
    }


def _load_days(landing: Path, scratch: Path, last_day: date, served: bool) -> dict[str, dict]:
    """The year without the held-back day(s), then the day(s): the runs' figures by name."""
    home, held = scratch / "home", scratch / "held"
    days = [last_day] + ([last_day - timedelta(days=1)] if served else [])
    for day in days:
        hold_back(landing, held / day.isoformat(), day)
    runs: dict[str, dict] = {}
    warm_up: list = []
    try:
        runs["full"] = _run_child(landing, home)
        with spark_server(scratch, served, warm_up) as server:
            if server is not None:
                runs["server_warm_up"] = warm_up_figures(warm_up)
                give_back(held / days[1].isoformat(), landing)
                runs["first_day_on_server"] = _run_child(landing, home, server)
                shutil.copytree(home, scratch / "home-embedded", symlinks=True)
            give_back(held / last_day.isoformat(), landing)
            runs["incremental_day"] = _run_child(landing, home, server)
        if served:
            runs["incremental_day_embedded"] = _run_child(landing, scratch / "home-embedded")
    finally:
        for day in days:
            give_back(held / day.isoformat(), landing)
    return runs


def run(options: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        landing = options.landing or Path(scratch) / "landing"
        if not landing.exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "epilake.cli",
                    "generate",
                    f"--patients={options.patients}",
                    f"--days={options.days + 1}",
                    f"--seed={options.seed}",
                    f"--start={options.start}",
                    f"--out={landing}",
                ],
                check=True,
            )
        last_day = date.fromisoformat(options.start) + timedelta(days=options.days)
        runs = _load_days(landing, Path(scratch), last_day, options.spark == "server")
    warm_up = runs.pop("server_warm_up", None)
    figures = {name: _figures(each) for name, each in runs.items()}
    if warm_up is not None:
        figures["server_warm_up"] = warm_up
    return {
        "benchmark": "ingest",
        "date": date.today().isoformat(),
        "patients": options.patients,
        "days": options.days,
        "seed": options.seed,
        "spark": options.spark,
        **figures,
        "floors": {"full_seconds": FLOOR_FULL_SECONDS, "incremental_seconds": FLOOR_DAY_SECONDS},
        "meets_floors": figures["full"]["seconds"] < FLOOR_FULL_SECONDS
        and figures["incremental_day"]["seconds"] < FLOOR_DAY_SECONDS,
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", default="2020-03-01")
    parser.add_argument(
        "--landing", type=Path, help="reuse (or write) the feeds here, days + 1 of them"
    )
    parser.add_argument(
        "--spark",
        choices=["embedded", "server"],
        default="embedded",
        help="server: the days after the year on a warm Spark Connect server",
    )
    options = parser.parse_args()
    result = run(options)
    append_result(result, "ingest")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
