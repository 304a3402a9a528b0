"""Shared fixtures: one real SparkSession (with Delta) per test run, isolated settings."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from epilake.settings import Settings, get_settings
from epilake.spark import get_spark
from spark_jobs.common.schemas import LANDED_LINES

TEST_SECRET = "test-secret-not-for-production"
FIXED_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


# The integration tests on the shared city (its set-up and the runs it takes later), which
# `make test` keeps on one pytest-xdist worker as one unit of work.
CITY_TESTS = "tests/integration/city/"
# Units of work holding a whole pipeline run or a Spark server's start, slowest first: handed
# out before the rest (xdist would order them by their number of tests, last), so that no
# long test starts when the other worker has nothing left to do.
FIRST_SCOPES = (
    CITY_TESTS,
    "tests/integration/test_spark_server.py",
    "tests/integration/test_gates.py",
    "tests/dagster_project/test_automation.py",
    "tests/spark_jobs/test_silver.py",
)


def first_scope(waiting: Iterable[str]) -> str | None:
    """The unit of work to hand out next if one of ``FIRST_SCOPES`` still waits."""
    waiting = set(waiting)
    return next((scope for scope in FIRST_SCOPES if scope in waiting), None)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadscope`` with the city's tests as one scope: each module is a unit of work
    as usual, but all of ``tests/integration/city/`` is one, so one worker builds the city;
    the ``FIRST_SCOPES`` are handed out first.

    (pytest-xdist's ``loadgroup`` would say this with a mark, but with pytest 9 its group
    suffix no longer reaches the node ids: the marked tests were spread over both workers.)
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CityAsOneScope(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(CITY_TESTS):
                return CITY_TESTS
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            first = first_scope(self.workqueue)
            if first is not None:
                self.workqueue.move_to_end(first, last=False)
            super()._assign_work_unit(node)

    return CityAsOneScope(config, log)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own EPILAKE_HOME; nothing touches ./data."""
    for name in list(os.environ):
        if name.startswith("EPILAKE_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("EPILAKE_HOME", str(home))
    monkeypatch.setenv("EPILAKE_LANDING", str(tmp_path / "landing"))
    monkeypatch.setenv("EPILAKE_PSEUDONYM_SECRET", TEST_SECRET)
    monkeypatch.setenv("EPILAKE_SPARK_MASTER", "local[2]")
    monkeypatch.setenv("EPILAKE_SPARK_SHUFFLE_PARTITIONS", "2")
    return home


@pytest.fixture
def settings(isolated_env: Path) -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """The one SparkSession of the run; the pipeline under test reuses it (getOrCreate)."""
    home = tmp_path_factory.mktemp("spark-home")
    os.environ.setdefault("EPILAKE_SPARK_SHUFFLE_PARTITIONS", "2")
    with pytest.MonkeyPatch.context() as patch:  # the jar folder, nothing under ./data
        patch.setenv("EPILAKE_HOME", str(home))
        patch.setenv("EPILAKE_PSEUDONYM_SECRET", TEST_SECRET)
        patch.setenv("EPILAKE_EXTRACT_SECRET", TEST_SECRET)
        base = get_settings()
    settings = Settings(
        home=home,
        landing=home / "landing",
        lake=home / "lake",
        warehouse=home / "warehouse.duckdb",
        jars_dir=base.jars_dir,
        spark_master="local[2]",
        spark_shuffle_partitions=2,
        pseudonym_secret=TEST_SECRET,
    )
    session = get_spark(settings, "epilake-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def landed(spark):
    """Build landed lines: items are dicts (serialised) or raw strings, one line each."""

    def build(items, source="lab/2020-04-02/b1.ndjson", delivery=date(2020, 4, 2)):
        rows = [
            (delivery, "b1", source, number, item if isinstance(item, str) else json.dumps(item))
            for number, item in enumerate(items, start=1)
        ]
        return spark.createDataFrame(rows, LANDED_LINES)

    return build
