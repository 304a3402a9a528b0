"""``python -m bench.day``: one delivery day on copies of a lake that has not had it, with
the run's steps one at a time and overlapping, alternately (decision 0015).

    python -m bench.day --base HOME --landing DIR [--spark-remote sc://127.0.0.1:15077]
                        [--steps-at-once 1 --steps-at-once 3] [--rounds 2]

``--base`` is an ``epilake run`` home whose lake has every delivery of ``--landing`` but the
newest day's (``python -m bench --scale M --spark server --keep DIR`` leaves one in
``DIR/home-before-day``; any home copied before a day's run is one). Each round copies
the base, runs the day, and reports the seconds from the command's start to the
dashboard's materialisation and per stage; the base is never changed.

dbt's profile names the warehouse file, so a copied home's first dbt step of each target
would parse the whole project again ("profile has changed", 3-7 s on this machine) where a
home's next day reuses the partial parse. Each copy is therefore parsed once before its
timed run, as the home it was copied from had been.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console

from bench.pipeline import run_pipeline
from dagster_project.defs.dbt.resources import DBT_PROJECT_DIR, dbt_executable
from epilake.settings import PINNED_VERSIONS_ENV, UNPINNED_VERSIONS
from epilake.spark_server import ServerState


def _server(url: str | None) -> ServerState | None:
    if not url:
        return None
    return ServerState(pid=None, port=int(url.rsplit(":", 1)[1]), running=True)


def reparse_dbt_targets(home: Path) -> list[Path]:
    """``dbt parse`` into each dbt target folder of ``home``, with the profile of ``home``."""
    # Every variable dbt's profile and sources read, valued as the pipeline exports them: one
    # that differs (even set against unset) makes the run's dbt parse those files again.
    env = os.environ | {
        "EPILAKE_HOME": str(home),
        "EPILAKE_LAKE": str(home / "lake"),
        "EPILAKE_BUILD_WAREHOUSE": str(home / "build" / "warehouse.duckdb"),
        PINNED_VERSIONS_ENV: UNPINNED_VERSIONS,
    }
    targets = sorted(p.parent for p in (home / "dbt_target").glob("*/partial_parse.msgpack"))
    for target in targets:
        command = [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR)]
        command += ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)]
        subprocess.run(command, env=env, check=True)
    return targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--spark-remote", help="a warm server's sc:// URL (default: embedded)")
    parser.add_argument("--steps-at-once", type=int, action="append")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    console = Console()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-day-") as scratch:
        home, logs = Path(scratch) / "home", Path(scratch) / "logs"
        logs.mkdir()
        for round_ in range(args.rounds):
            for steps in args.steps_at_once or [3]:
                shutil.rmtree(home, ignore_errors=True)
                shutil.copytree(args.base, home, symlinks=True)
                reparse_dbt_targets(home)
                console.print(f"round {round_ + 1}: {steps} steps at once ...")
                run = run_pipeline(
                    args.landing, home, logs, f"day-{steps}", _server(args.spark_remote), steps
                )
                figures = {
                    "steps_at_once": steps,
                    "landing_to_dashboard_seconds": run["landing_to_dashboard_seconds"],
                    "seconds": run["seconds"],
                    "peak_memory_gib": run["peak_memory_gib"],
                    "stages": {k: v["seconds"] for k, v in run["stages"].items()},
                }
                console.print(figures)
                results.append(figures)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
