"""Runs of the whole pipeline (real Spark, Delta, GX, dbt, Dagster) on generated feeds."""

import csv
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from epilake.generator import CityConfig, generate_city
from epilake.pipeline import RunReport, run_pipeline
from epilake.settings import Settings, get_settings
from spark_jobs.common.landing import FEEDS, decode_file, discover
from spark_jobs.register.codes import DIRECT_IDENTIFIERS
from tests.conftest import TEST_SECRET


@dataclass
class PipelineRun:
    landing: Path
    home: Path
    settings: Settings
    report: RunReport
    output: str


def run_on(landing: Path, home: Path, leave_out: tuple[str, ...] = ()) -> PipelineRun:
    """Run the pipeline as ``epilake run --landing --home`` does, in this process
    (``leave_out``: asset key prefixes the run does not build)."""
    # A run exports its settings (EPILAKE_LAKE, EPILAKE_WAREHOUSE ...) and DAGSTER_HOME into
    # the environment: restored after it, or the next run on another home would read them.
    environment = dict(os.environ)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("EPILAKE_LANDING", str(landing))
            patch.setenv("EPILAKE_HOME", str(home))
            patch.setenv("EPILAKE_PSEUDONYM_SECRET", TEST_SECRET)
            patch.setenv("EPILAKE_SPARK_MASTER", "local[2]")
            patch.setenv("EPILAKE_SPARK_SHUFFLE_PARTITIONS", "2")
            buffer = io.StringIO()
            report = run_pipeline(Console(file=buffer, width=200), leave_out=leave_out)
            return PipelineRun(landing, home, get_settings(), report, buffer.getvalue())
    finally:
        os.environ.clear()
        os.environ.update(environment)


@contextmanager
def dagster_instance(home: Path) -> Iterator:
    """The Dagster instance of a run's home, to read its runs: with DAGSTER_HOME set while
    it is open (EpiLake's event log storage asks for it) and never entered as a context
    manager (an entered instance stays the process's "current" one after it is closed)."""
    import dagster as dg

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home / "dagster"))
        instance = dg.DagsterInstance.from_config(str(home / "dagster"))
        try:
            yield instance
        finally:
            instance.dispose()


def run_cli(landing: Path, home: Path):
    """``epilake run --landing --home`` through the CLI (in this process, on the test run's
    Spark session), the environment restored after it (a run exports its settings)."""
    from click.testing import CliRunner

    from epilake.cli import main

    environment = dict(os.environ)
    try:
        return CliRunner().invoke(main, ["run", "--landing", str(landing), "--home", str(home)])
    finally:
        os.environ.clear()
        os.environ.update(environment)


# One generated city with dirt, run through the whole pipeline once per session and shared by
# the integration modules (each later test may add deliveries and run again).
CITY = CityConfig(patients=8_000, days=75, seed=11, dirt=0.03)
CITY_TESTS = Path(__file__).parent / "city"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on the shared city live in ``city/``, which ``make test`` keeps on one
    pytest-xdist worker (``tests/conftest.py``): elsewhere, a second worker would build and
    run a city of its own."""
    strays = [
        item.nodeid
        for item in items
        if "city" in getattr(item, "fixturenames", ())
        and CITY_TESTS.parent in item.path.parents  # this folder's city fixture, not another's
        and CITY_TESTS not in item.path.parents
    ]
    if strays:
        raise pytest.UsageError(
            f"Move these tests on the shared city into {CITY_TESTS}: {', '.join(strays)}"
        )


# The shared city's tests are the suite's longest chain of work on one worker (its first run,
# the extracts, three reruns); the other worker's tests are many short ones. While the city
# works, the other worker's processes take the CPU second (nice 5 against 0): they still get
# every cycle the city leaves idle, and the suite ends sooner.
OTHER_WORKERS_NICE = 5


def _parents() -> dict[int, int]:
    """Every process's parent, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
    return parents


def other_workers(parents: dict[int, int], me: int) -> set[int]:
    """The processes of the other pytest-xdist workers (children of this worker's parent, the
    controller) and everything they started."""
    tree = {pid for pid, parent in parents.items() if parent == parents.get(me) and pid != me}
    while grown := {pid for pid, parent in parents.items() if parent in tree} - tree:
        tree |= grown
    return tree


def yield_the_cpu_to_this_worker(nice: int = OTHER_WORKERS_NICE) -> int:
    """Raise every thread of the other workers' processes to ``nice`` (threads and processes
    they start later inherit it); returns the threads changed. Outside pytest-xdist, or
    without /proc, it changes nothing."""
    if "PYTEST_XDIST_WORKER" not in os.environ or not Path("/proc/self/stat").exists():
        return 0
    changed = 0
    for pid in other_workers(_parents(), os.getpid()):
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                if os.getpriority(os.PRIO_PROCESS, int(task.name)) < nice:
                    os.setpriority(os.PRIO_PROCESS, int(task.name), nice)
                    changed += 1
            except OSError:
                continue  # the thread ended meanwhile
    return changed


@pytest.fixture(scope="session")
def city(tmp_path_factory, spark) -> PipelineRun:
    yield_the_cpu_to_this_worker()
    root = tmp_path_factory.mktemp("city")
    generate_city(root / "landing", CITY)
    return run_on(root / "landing", root / "home")


def landing_identifiers(landing: Path) -> set[str]:
    """Every direct identifier the landing files carry: ids, names, phones, policies, addresses."""
    identifiers = set()
    for feed in FEEDS:
        for file in discover(landing, feed):
            lines = decode_file(file.path, file.compressed).lines or []
            if feed == "register":
                for row in csv.DictReader(lines):
                    identifiers.update(
                        row.get(c) or "" for c in (*DIRECT_IDENTIFIERS, "patient_id")
                    )
                continue
            for line in lines:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if not isinstance(record, dict):
                    continue
                reference = (record.get("subject") or {}).get("reference") or ""
                identifiers.add(reference.removeprefix("Patient/"))
                identifiers.update(i.get("value", "") for i in record.get("identifier", []))
                for key in (
                    "index_patient_id",
                    "contact_patient_id",
                    "contact_name",
                    "contact_phone",
                ):
                    identifiers.add(record.get(key) or "")
    identifiers.discard("")
    return identifiers
