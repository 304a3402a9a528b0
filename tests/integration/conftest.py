"""Runs of the whole pipeline (real Spark, Delta, GX, dbt, Dagster) on generated feeds."""

import csv
import io
import json
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
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EPILAKE_LANDING", str(landing))
        patch.setenv("EPILAKE_HOME", str(home))
        patch.setenv("EPILAKE_PSEUDONYM_SECRET", TEST_SECRET)
        patch.setenv("EPILAKE_SPARK_MASTER", "local[2]")
        patch.setenv("EPILAKE_SPARK_SHUFFLE_PARTITIONS", "2")
        buffer = io.StringIO()
        report = run_pipeline(Console(file=buffer, width=200), leave_out=leave_out)
        return PipelineRun(landing, home, get_settings(), report, buffer.getvalue())


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


@pytest.fixture(scope="session")
def city(tmp_path_factory, spark) -> PipelineRun:
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
