"""The whole pipeline at a scale, stage by stage, against the plain DuckDB baseline.

    python -m bench --scale S            # 10,000 patients, 90 days (about 5 minutes)
    python -m bench --scale M            # 1,000,000 patients, 365 days (about 25 minutes)
    python -m bench --scale L            # projected from S and M (see bench/README.md)

For a scale it generates ``days + 1`` days of feeds (or reuses ``--landing``), holds the
last delivery day back and runs ``epilake run`` on the rest (a child process, as a user
runs it), then returns the day and runs again: the incremental day, timed from the
command's start to the dashboard's materialisation. Stage times come from the Dagster
run's step events; peak memory is the process tree's RSS (Python + JVM + dbt) sampled
during each stage. Then the dashboard queries' latency, and the baseline on the same files.
Results go to ``bench/results/<date>-<scale>.json``; ``bench/results/scales.svg`` is
redrawn from the newest result of every scale.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console

from bench.common import give_back, hold_back, spark_server, warm_up_figures
from epilake.spark_server import ServerState

STAGES = (
    "generate",
    "bronze",
    "silver",
    "gates",
    "dbt",
    "publication",
    "dashboards",
    "extracts",
)
FLOORS = {
    "full_run_seconds_at_M": 30 * 60,
    "incremental_day_seconds": 60,
    "cost_per_record_M_over_S": 1.2,
    "peak_memory_gib": 12,
}


@dataclass(frozen=True)
class Scale:
    name: str
    patients: int
    days: int
    run: bool = True  # False: projected from the smaller scales


SCALES = {
    "S": Scale("S", 10_000, 90),
    "M": Scale("M", 1_000_000, 365),
    "L": Scale("L", 12_700_000, 730, run=False),
}


def stage_of(step_key: str) -> str:
    """Which benchmark stage a step of the ``epilake_pipeline`` job belongs to."""
    if step_key.endswith("_bronze"):
        return "bronze"
    if step_key.endswith("_silver"):
        return "silver"
    if (
        step_key.startswith(("warehouse_models", "analyst_models"))
        or step_key == "reports__dbt_docs"
    ):
        return "dbt"
    if step_key.startswith("published__"):
        return "publication"  # the served warehouse (decision 0031)
    if "dashboard" in step_key:
        return "dashboards"
    if "extract" in step_key:
        return "extracts"
    return "gates"  # every other step is an asset check: a GX suite or a reconciliation


def step_intervals(dagster_home: Path, run_id: str) -> list[tuple[str, float, float]]:
    """(step key, start, end) in wall-clock seconds, from the run's event log."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with dg.DagsterInstance.get() as instance:
        records = instance.all_logs(run_id)
    starts: dict[str, float] = {}
    intervals = []
    for record in records:
        kind = record.dagster_event.event_type_value if record.dagster_event else None
        if kind == "STEP_START":
            starts[record.step_key] = record.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and record.step_key in starts:
            intervals.append((record.step_key, starts.pop(record.step_key), record.timestamp))
    return intervals


def latest_run_id(dagster_home: Path) -> str:
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with dg.DagsterInstance.get() as instance:
        return instance.get_runs(limit=1)[0].run_id


def records_loaded(lake: Path, since: datetime) -> int:
    """Landing records read by runs that started at ``since`` or later (ops/batch_audit)."""
    from spark_jobs.common.ops_tables import read_rows

    rows = read_rows(str(lake / "ops" / "batch_audit"), ["records_read", "ingested_at"])
    return sum(r["records_read"] or 0 for r in rows if r["ingested_at"] >= since)


def _timed_child(
    command: list[str], env: dict[str, str], log: Path, also: tuple[int, ...] = ()
) -> dict:
    """Run ``command``; wall time, exit code and the sampled process tree (and ``also``)."""
    from bench.monitor import TreeSampler

    began = time.time()
    with log.open("w") as out:
        child = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=out)
        with TreeSampler(child.pid, also=also) as sampler:
            code = child.wait()
    return {"began": began, "ended": time.time(), "code": code, "sampler": sampler}


def covered_seconds(spans: list[tuple[float, float]]) -> float:
    """Seconds during which at least one of ``spans`` ran (overlaps counted once)."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def _stage_figures(child: dict, intervals, records: int) -> dict[str, dict]:
    """Per stage: ``seconds`` of wall time with one of its steps running, ``step_seconds``
    summed over its steps (more than ``seconds`` where steps overlapped)."""
    figures: dict[str, dict] = {}
    for stage in STAGES[1:]:
        spans = [(s, e) for key, s, e in intervals if stage_of(key) == stage]
        if not spans:
            continue
        seconds = covered_seconds(spans)
        figures[stage] = {
            "seconds": round(seconds, 1),
            "step_seconds": round(sum(e - s for s, e in spans), 1),
            "records_per_second": round(records / seconds) if seconds else None,
            "peak_memory_gib": max(child["sampler"].peak_gib(s, e) for s, e in spans),
        }
    return figures


def run_pipeline(
    landing: Path,
    home: Path,
    logs: Path,
    label: str,
    server: ServerState | None = None,
    steps_at_once: int | None = None,
) -> dict:
    """``epilake run`` in a child process; per-stage figures from its Dagster run.

    With a ``server``, the run's Spark work goes to that Spark Connect server, whose
    memory is counted with the run's.
    """
    command = [sys.executable, "-m", "epilake.cli", "run", "--landing", str(landing)]
    if steps_at_once is not None:
        command += ["--steps-at-once", str(steps_at_once)]
    env = {"EPILAKE_HOME": str(home)}
    if server is not None:
        env["EPILAKE_SPARK_REMOTE"] = str(server.url)
    also = (server.pid,) if server is not None and server.pid else ()
    child = _timed_child([*command, "--home", str(home)], env, logs / f"{label}.log", also)
    if child["code"] != 0:
        raise SystemExit(f"epilake run ({label}) failed: see {logs / f'{label}.log'}")
    run_id = latest_run_id(home / "dagster")
    intervals = step_intervals(home / "dagster", run_id)
    since = datetime.fromtimestamp(child["began"], UTC).replace(microsecond=0)
    records = records_loaded(home / "lake", since)
    dashboard_end = max(e for key, _, e in intervals if stage_of(key) == "dashboards")
    return {
        "run_id": run_id,
        "seconds": round(child["ended"] - child["began"], 1),
        "landing_to_dashboard_seconds": round(dashboard_end - child["began"], 1),
        "records": records,
        "peak_memory_gib": child["sampler"].peak_gib(),
        "stages": _stage_figures(child, intervals, records),
    }


def generate(scale: Scale, landing: Path, seed: int, logs: Path) -> dict:
    command = [sys.executable, "-m", "epilake.cli", "generate", f"--patients={scale.patients}"]
    command += [f"--days={scale.days + 1}", f"--seed={seed}", f"--out={landing}"]
    child = _timed_child(command, {}, logs / "generate.log")
    if child["code"] != 0:
        raise SystemExit(f"generation failed: see {logs / 'generate.log'}")
    summary = json.loads((landing / "_truth" / "summary.json").read_text())
    lines = sum(summary.get("lines", {}).values()) or None
    seconds = child["ended"] - child["began"]
    return {
        "seconds": round(seconds, 1),
        "records_per_second": round(lines / seconds) if lines else None,
        "peak_memory_gib": child["sampler"].peak_gib(),
    }


def run_baseline(landing: Path, logs: Path) -> dict:
    child = _timed_child(
        [sys.executable, "-m", "bench.baseline", "--landing", str(landing)],
        {},
        logs / "baseline.log",
    )
    if child["code"] != 0:
        raise SystemExit(f"the baseline failed: see {logs / 'baseline.log'}")
    return {
        "seconds": round(child["ended"] - child["began"], 1),
        "peak_memory_gib": child["sampler"].peak_gib(),
    }


def last_delivery_day(landing: Path) -> date:
    return max(date.fromisoformat(p.name) for p in (landing / "register").glob("????-??-??"))


def bench_scale(
    scale: Scale,
    seed: int,
    landing: Path | None,
    keep: Path | None,
    console: Console,
    spark: str = "embedded",
) -> dict:
    """Measure ``scale``. With ``spark="server"`` the full run is embedded as always (a first
    load is not what a server is for), then a long-running Spark Connect server serves the
    day before the last (its first day: it warms up) and the last day (measured); the last
    day also runs once more with the embedded Spark on a copy of the lake, for comparison."""
    from bench.marts import query_latency

    with tempfile.TemporaryDirectory(prefix=f"bench-{scale.name}-") as scratch:
        work = keep or Path(scratch)
        logs = work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        result: dict = {"scale": scale.name, "patients": scale.patients, "days": scale.days}
        result["spark"] = spark
        stages: dict[str, dict] = {}
        if landing is None:
            landing = work / "landing"
            console.print(f"[bold]{scale.name}[/]: generating {scale.days + 1} days ...")
            stages["generate"] = generate(scale, landing, seed, logs)
        day = last_delivery_day(landing)
        home = work / "home"
        shutil.rmtree(home, ignore_errors=True)
        held = [day] + ([day - timedelta(days=1)] if spark == "server" else [])
        for each in held:
            hold_back(landing, work / "held" / each.isoformat(), each)
        try:
            console.print(f"[bold]{scale.name}[/]: baseline (DuckDB) on the same files ...")
            result["baseline"] = run_baseline(landing, logs)
            console.print(f"[bold]{scale.name}[/]: full run up to {min(held) - timedelta(days=1)}")
            full = run_pipeline(landing, home, logs, "full")
            warm_up: list = []
            with spark_server(work, spark == "server", warm_up) as server:
                if server is not None:
                    result["server_warm_up"] = warm_up_figures(warm_up)
                    console.print(f"[bold]{scale.name}[/]: the server's first day {held[1]} ...")
                    give_back(work / "held" / held[1].isoformat(), landing)
                    result["first_day_on_server"] = run_pipeline(
                        landing, home, logs, "first-day-on-server", server
                    )
                    copies = ["home-embedded"] + (["home-before-day"] if keep else [])
                    for copy in copies:  # the embedded day's lake; a kept one for bench.day
                        shutil.rmtree(work / copy, ignore_errors=True)
                        shutil.copytree(home, work / copy, symlinks=True)
                console.print(f"[bold]{scale.name}[/]: incremental day {day} ...")
                give_back(work / "held" / day.isoformat(), landing)
                incremental = run_pipeline(landing, home, logs, "incremental", server)
        finally:
            for each in held:
                give_back(work / "held" / each.isoformat(), landing)
        if spark == "server":
            console.print(f"[bold]{scale.name}[/]: the same day, embedded Spark, on a copy ...")
            result["incremental_day_embedded"] = run_pipeline(
                landing, work / "home-embedded", logs, "incremental-embedded"
            )
        stages.update(full.pop("stages"))
        result["stages"] = stages
        result["full_run"] = full
        result["incremental_day"] = incremental
        result["dashboard_queries"] = query_latency(home / "warehouse.duckdb", rounds=3)
        result["pipeline_over_baseline"] = round(full["seconds"] / result["baseline"]["seconds"], 1)
        result["cost_ms_per_record"] = round(1000 * full["seconds"] / full["records"], 4)
        result["peak_memory_gib"] = max(
            [full["peak_memory_gib"], incremental["peak_memory_gib"]]
            + [s["peak_memory_gib"] for s in stages.values()]
        )
    return result


def project(small: dict, medium: dict, scale: Scale) -> dict:
    """Stage times at ``scale`` from S and M: a fixed cost plus a cost per record, fitted
    through the two measured points (memory is not projected: Spark and DuckDB spill at
    their configured limits, so it does not grow with the data the way time does)."""
    factor = (scale.patients * scale.days) / (medium["patients"] * medium["days"])
    records = round(medium["full_run"]["records"] * factor)

    def line(at_small: float, at_medium: float) -> float:
        r_small, r_medium = small["full_run"]["records"], medium["full_run"]["records"]
        per_record = (at_medium - at_small) / (r_medium - r_small)
        return round(at_small + per_record * (records - r_small), 1)

    stages = {
        stage: {"seconds": line(small["stages"][stage]["seconds"], figures["seconds"])}
        for stage, figures in medium["stages"].items()
        if stage in small["stages"]
    }
    full = line(small["full_run"]["seconds"], medium["full_run"]["seconds"])
    baseline = line(small["baseline"]["seconds"], medium["baseline"]["seconds"])
    return {
        "scale": scale.name,
        "patients": scale.patients,
        "days": scale.days,
        "projected": True,
        "projected_from": [small["date"], medium["date"]],
        "stages": stages,
        "full_run": {"seconds": full, "records": records},
        "baseline": {"seconds": baseline},
        "pipeline_over_baseline": round(full / baseline, 1),
        "cost_ms_per_record": round(1000 * full / records, 4),
    }


def judge(result: dict, small: dict | None) -> dict:
    """The issue's floors that apply to this result (M's full run; every scale's day)."""
    verdict = {}
    if result["scale"] == "M":
        verdict["full_run_under_30_min"] = (
            result["full_run"]["seconds"] < FLOORS["full_run_seconds_at_M"]
        )
        if small:
            ratio = result["cost_ms_per_record"] / small["cost_ms_per_record"]
            verdict["cost_per_record_M_over_S"] = round(ratio, 2)
            verdict["cost_per_record_within_1_2x"] = ratio <= FLOORS["cost_per_record_M_over_S"]
    if "incremental_day" in result:
        verdict["incremental_day_under_60_s"] = (
            result["incremental_day"]["landing_to_dashboard_seconds"]
            < FLOORS["incremental_day_seconds"]
        )
    if "peak_memory_gib" in result:
        verdict["peak_memory_under_12_gib"] = result["peak_memory_gib"] < FLOORS["peak_memory_gib"]
    return verdict
