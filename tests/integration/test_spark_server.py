"""The Spark work on a long-running Spark Connect server (``epilake spark-server``) writes
the same lake as the embedded Spark: same bronze, quarantine, silver and audit counts.

The server is real (the Spark Connect server of the ``pyspark`` package, with the Delta
jars); the served feed jobs run in a child process, as ``EPILAKE_SPARK_REMOTE`` runs do.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from epilake import spark_server, spark_warmup
from epilake.duckdb_delta import connect
from epilake.generator import CityConfig, generate_city
from epilake.settings import Settings, get_settings
from epilake.spark import DELTA_LOG_CACHE_SIZE, DELTA_LOGS_KEPT
from spark_jobs.lab import job as lab_job
from spark_jobs.records import job as records_job
from spark_jobs.register import job as register_job
from spark_jobs.tracing import job as tracing_job
from tests.conftest import TEST_SECRET

JOBS = {"register": register_job, "lab": lab_job, "records": records_job, "tracing": tracing_job}
# A week in the second wave: cases, contacts and faults in every feed, and few enough
# pending days that each feed's silver tables are promoted at once, as in a daily run.
SMALL_CITY = CityConfig(patients=400, start=date(2020, 10, 15), days=7, seed=5, dirt=0.05)
FIXED_NOW = "2026-11-01T12:00:00+00:00"
# A small city still has rows in these (MERGE-updated silver, SCD2 history, quarantine).
MUST_HOLD_ROWS = {
    "silver/patients",
    "silver/lab_results",
    "silver/encounters",
    "silver/contacts",
    "quarantine/lab",
    "quarantine/register",
}
# Columns that say when a run wrote a row, not what it wrote.
RUN_TIME_COLUMNS = {"_ingested_at", "_promoted_at", "ingested_at", "promoted_at"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclasses.dataclass
class Server:
    settings: Settings
    state: spark_server.ServerState
    warm_up: list[spark_warmup.WarmUpRound]


# Started as `epilake spark-server start` starts it, with a shorter warm-up: the tests after
# it get a server whose JVM has compiled a day's code, as a user's would.
TEST_WARM_UP_DAYS = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    home = tmp_path_factory.mktemp("server")
    with pytest.MonkeyPatch.context() as patch:  # the server's own home, nothing under ./data
        patch.setenv("EPILAKE_HOME", str(home))
        patch.setenv("EPILAKE_PSEUDONYM_SECRET", TEST_SECRET)
        settings = get_settings()
    rounds: list[spark_warmup.WarmUpRound] = []
    state = spark_server.start(settings, _free_port(), TEST_WARM_UP_DAYS, rounds.append)
    yield Server(settings, state, rounds)
    assert spark_server.stop(settings)
    assert not spark_server.state(settings).running


# One child process loads every feed, as one `epilake run` does (one Python start-up and one
# Spark Connect session instead of one per feed).
SERVED_LOAD = """
import importlib
import sys

from epilake.settings import get_settings
from epilake.spark import get_spark

settings = get_settings()
spark = get_spark(settings, "epilake-served-load")
for feed in sys.argv[1:]:
    job = importlib.import_module(f"spark_jobs.{feed}.job")
    print(job.ingest_bronze(spark, settings))
    print(job.promote_to_silver(spark, settings))
"""


def _served_load(landing: Path, home: Path, url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EPILAKE_")}
    env |= {
        "EPILAKE_HOME": str(home),
        "EPILAKE_LANDING": str(landing),
        "EPILAKE_PSEUDONYM_SECRET": TEST_SECRET,
        "EPILAKE_SPARK_SHUFFLE_PARTITIONS": "2",
        "EPILAKE_NOW": FIXED_NOW,
        "EPILAKE_SPARK_REMOTE": url,
    }
    done = subprocess.run(
        [sys.executable, "-c", SERVED_LOAD, *JOBS],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"the load over Spark Connect failed:\n{done.stderr[-3000:]}"


def _embedded_load(spark, landing: Path, home: Path, monkeypatch) -> None:
    monkeypatch.setenv("EPILAKE_NOW", FIXED_NOW)
    settings: Settings = dataclasses.replace(
        get_settings(), home=home, landing=landing, lake=home / "lake"
    )
    for job in JOBS.values():
        job.ingest_bronze(spark, settings)
        job.promote_to_silver(spark, settings)


def _tables(home: Path) -> set[str]:
    """The lake's bronze, quarantine and silver tables (relative paths)."""
    lake = home / "lake"
    return {
        log.parent.relative_to(lake).as_posix()
        for log in lake.rglob("_delta_log")
        if not log.parent.relative_to(lake).as_posix().startswith("ops/")
    }


def _difference(first: Path, second: Path) -> tuple[int, int, int]:
    """Rows of ``first``, and rows only in one of the two (run-time columns left out)."""
    duck = connect()
    columns = [
        row[0]
        for row in duck.execute(f"DESCRIBE SELECT * FROM delta_scan('{first}')").fetchall()
        if row[0] not in RUN_TIME_COLUMNS
    ]
    select = ", ".join(f'"{c}"' for c in columns)
    a, b = (
        f"SELECT {select} FROM delta_scan('{first}')",
        f"SELECT {select} FROM delta_scan('{second}')",
    )
    total = duck.execute(f"SELECT count(*) FROM ({a})").fetchone()[0]
    only_a = duck.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0]
    only_b = duck.execute(f"SELECT count(*) FROM ({b} EXCEPT ALL {a})").fetchone()[0]
    return total, only_a, only_b


def test_feeds_loaded_on_the_server_equal_the_embedded_load(server, spark, tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    generate_city(landing, SMALL_CITY)
    _served_load(landing, tmp_path / "served", str(server.state.url))
    _embedded_load(spark, landing, tmp_path / "embedded", monkeypatch)

    tables = _tables(tmp_path / "served")
    assert tables == _tables(tmp_path / "embedded")
    for table in sorted(tables):
        served, embedded = (tmp_path / side / "lake" / table for side in ("served", "embedded"))
        total, only_served, only_embedded = _difference(served, embedded)
        assert (only_served, only_embedded) == (0, 0), table
        if table in MUST_HOLD_ROWS:
            assert total > 0, f"{table} is empty: the comparison proves nothing"
    assert tables >= MUST_HOLD_ROWS


# In a process of its own: a Spark Connect session makes the process's DataFrame functions
# Connect ones, which would break the embedded tests after it on the same worker.
READ_SERVER_CONF = (
    "import sys; from pyspark.sql import SparkSession; "
    "session = SparkSession.builder.remote(sys.argv[1]).create(); "
    "print(session.conf.get(sys.argv[2])); session.stop()"
)


def test_the_running_server_keeps_the_delta_logs_of_two_lakes(server):
    done = subprocess.run(
        [sys.executable, "-c", READ_SERVER_CONF, str(server.state.url), DELTA_LOG_CACHE_SIZE],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == str(DELTA_LOGS_KEPT)


def test_start_reuses_a_running_server_and_refuses_a_taken_port(server, tmp_path):
    again = spark_server.start(server.settings, server.state.port)
    assert again.pid == server.state.pid
    other = dataclasses.replace(server.settings, home=tmp_path / "other")
    assert not spark_server.state(other).running
    with pytest.raises(spark_server.SparkServerError, match="taken"):
        spark_server.start(other, server.state.port)


def test_the_server_warmed_up_on_every_feed_day_by_day_and_left_nothing_behind(server):
    """The warm-up `start` ran before it returned: a first week, then single days, each
    through every feed's bronze and silver on the server; its scratch lake is gone."""
    rounds = server.warm_up
    first_week_end = spark_warmup.WARM_UP_CITY["start"] + timedelta(
        days=spark_warmup.FIRST_ROUND_DAYS - 1
    )
    assert [each.delivery for each in rounds] == [first_week_end, first_week_end + timedelta(1)]
    # The first week holds the register's whole population; a day still brings records.
    assert rounds[0].records > spark_warmup.WARM_UP_CITY["patients"]
    assert rounds[1].records > 0
    assert all(each.seconds > 0 for each in rounds)
    assert not (server.settings.home / "spark-server" / "warm-up").exists()
    assert spark_server.state(server.settings).running
