"""Warm a freshly started Spark server with the platform's own daily work.

A new JVM runs the day's Spark work slowly until its just-in-time compiler has compiled
Spark's, Delta's and Janino's hot paths: a served M day took 126, 84, 92, 72, 66 ... CPU-s
of the server on its days 1 to 5, 48, 29, 27, 18, 14 of them compiling (decision 0029).
So ``epilake spark-server start`` first loads a small synthetic city into a scratch lake,
one delivery day per round, through the same feed jobs and session settings a daily run
uses, and only then reports the server ready. Nothing of it stays: the scratch folder,
its lake and its throwaway secret are removed, and every round's Spark Connect session
is released.

``warm_up`` runs the rounds in a child process (a run's own process is a new one too, with
its own Connect sessions) and hands each finished round to a callback, for progress.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

# Enough rounds that the compiler has done most of its work: a first load and then daily
# deliveries, as a server's first days would be (decision 0029 measures the count).
DEFAULT_WARM_UP_DAYS = 5
# The second wave in a small city: every feed delivers, with faults, so quarantine, SCD2
# closes and MERGE updates all run, yet a round takes seconds. The first round takes a
# week at once (a small delivery still), so that later rounds find tables to merge into.
WARM_UP_CITY = dict(patients=2000, start=date(2020, 10, 1), seed=29, dirt=0.05)
WARM_UP_TESTS_PER_1000_PER_DAY = 20.0
FIRST_ROUND_DAYS = 7
FEEDS = ("register", "lab", "records", "tracing")
CHILD = (sys.executable, "-m", "epilake.spark_warmup")


class SparkWarmUpError(RuntimeError):
    """A warm-up round failed; the message carries the child's error."""


@dataclass(frozen=True)
class WarmUpRound:
    delivery: date  # the round's last delivery date
    seconds: float
    records: int


def load_window(spark, settings, window) -> int:
    """Bronze, then silver, of every feed for the deliveries in ``window``, as a daily run's
    Spark steps do (small-delivery partitions, a feed's tables side by side)."""
    import importlib

    from epilake.spark import partition_conf

    for key, value in partition_conf(settings, window.is_small).items():
        spark.conf.set(key, value)
    jobs = [importlib.import_module(f"spark_jobs.{feed}.job") for feed in FEEDS]
    records = sum(job.ingest_bronze(spark, settings, window).records_read for job in jobs)
    for job in jobs:
        job.promote_to_silver(spark, settings, window)
    return records


def _child_env(scratch: Path, url: str) -> dict[str, str]:
    # Nothing of the caller's EpiLake configuration (its lake, its secrets) reaches the
    # warm-up: it works in its own scratch home with keys created there and removed after.
    env = {key: value for key, value in os.environ.items() if not key.startswith("EPILAKE_")}
    env |= {
        "EPILAKE_HOME": str(scratch / "home"),
        "EPILAKE_LANDING": str(scratch / "landing"),
        "EPILAKE_SPARK_REMOTE": url,
    }
    return env


def warm_up(
    url: str,
    scratch: Path,
    days: int = DEFAULT_WARM_UP_DAYS,
    on_round: Callable[[WarmUpRound], None] | None = None,
    timeout: float = 1800,
) -> list[WarmUpRound]:
    """Run ``days`` warm-up rounds on the Spark Connect server at ``url``; ``scratch`` (a
    folder of its own, removed after) holds the synthetic city's feeds and lake."""
    if days <= 0:
        return []
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    rounds: list[WarmUpRound] = []
    log = scratch / "warm-up.log"
    try:
        with log.open("w") as errors:
            child = subprocess.Popen(
                [*CHILD, "--scratch", str(scratch), "--days", str(days)],
                env=_child_env(scratch, url),
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
            watchdog = threading.Timer(timeout, child.kill)
            watchdog.start()
            try:
                for line in child.stdout or ():
                    if not line.startswith("{"):
                        continue
                    done = json.loads(line)
                    each = WarmUpRound(
                        date.fromisoformat(done["delivery"]), done["seconds"], done["records"]
                    )
                    rounds.append(each)
                    if on_round is not None:
                        on_round(each)
                code = child.wait()
            finally:
                watchdog.cancel()
        if code != 0 or len(rounds) != days:
            raise SparkWarmUpError(
                f"The Spark server's warm-up stopped after {len(rounds)} of {days} rounds "
                f"(exit code {code}). The server runs but is not warm: stop it and start it "
                "again, or start it with --warm-up-days 0. The warm-up's error:\n"
                + log.read_text()[-3000:]
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return rounds


def _rounds(scratch: Path, days: int) -> None:
    """The child: generate the city, then one delivery day per round, each on a new
    Connect session, one JSON line per finished round."""
    from epilake.generator import CityConfig, generate_city
    from epilake.settings import get_settings
    from epilake.spark import get_spark, release_remote_sessions
    from spark_jobs.common.window import DeliveryWindow

    city = CityConfig(
        **WARM_UP_CITY,
        days=FIRST_ROUND_DAYS + days - 1,
        tests_per_1000_per_day=WARM_UP_TESTS_PER_1000_PER_DAY,
    )
    generate_city(scratch / "landing", city)
    settings = get_settings()
    first_round_last = city.start + timedelta(days=FIRST_ROUND_DAYS - 1)
    windows = [DeliveryWindow(city.start, first_round_last)] + [
        DeliveryWindow(day, day)
        for day in (first_round_last + timedelta(days=n) for n in range(1, days))
    ]
    for window in windows:
        began = time.perf_counter()
        spark = get_spark(settings, "epilake-warm-up")
        records = load_window(spark, settings, window)
        release_remote_sessions()
        seconds = round(time.perf_counter() - began, 1)
        done = {"delivery": window.last.isoformat(), "seconds": seconds, "records": records}
        print(json.dumps(done), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="One Spark server warm-up (see the module).")
    parser.add_argument("--scratch", type=Path, required=True)
    parser.add_argument("--days", type=int, default=DEFAULT_WARM_UP_DAYS)
    options = parser.parse_args()
    _rounds(options.scratch, options.days)
