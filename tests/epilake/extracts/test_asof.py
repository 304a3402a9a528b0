"""Pinning silver tables to Delta versions for --as-of."""

import time
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from epilake.extracts.asof import AsOfError, parse_as_of, pin_versions


def _commit(path, rows):
    write_deltalake(str(path), pa.table({"n": list(range(rows))}), mode="append")
    time.sleep(0.01)  # distinct commit timestamps (milliseconds)


def _commit_times(path):
    return {e["version"]: e["timestamp"] for e in DeltaTable(str(path)).history()}


@pytest.fixture
def silver(tmp_path):
    silver = tmp_path / "silver"
    _commit(silver / "patients", 1)
    for _ in range(3):
        _commit(silver / "encounters", 2)
    _commit(silver / "patients", 1)
    _commit(silver / "contacts", 1)
    return silver


def test_no_as_of_takes_every_table_now(silver):
    assert pin_versions(silver, ("encounters", "patients"), "encounters", None) == {
        "encounters": 2,
        "patients": 1,
    }


def test_a_version_of_the_primary_table_pins_the_others_at_its_commit_time(silver):
    # v1: the others as they were just before encounters' next commit (v2)
    assert pin_versions(silver, ("encounters", "patients"), "encounters", 1) == {
        "encounters": 1,
        "patients": 0,
    }
    # v2 is encounters' latest: the others as they are now
    assert pin_versions(silver, ("encounters", "patients"), "encounters", 2) == {
        "encounters": 2,
        "patients": 1,
    }
    with pytest.raises(AsOfError, match="did not exist yet"):
        pin_versions(silver, ("encounters", "contacts"), "encounters", 1)
    with pytest.raises(AsOfError, match="no version 9"):
        pin_versions(silver, ("encounters",), "encounters", 9)


def test_a_moment_pins_the_latest_commit_at_or_before_it(silver):
    times = _commit_times(silver / "encounters")
    between = datetime.fromtimestamp((times[0] + times[1]) / 2000, UTC)
    assert pin_versions(silver, ("encounters",), "encounters", between) == {"encounters": 0}


def test_a_manifest_pins_exactly_its_versions(silver, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"source_versions": {"silver/encounters": 0, "silver/patients": 0}}')
    as_of = parse_as_of(str(manifest))
    assert pin_versions(silver, ("encounters", "patients"), "encounters", as_of) == {
        "encounters": 0,
        "patients": 0,
    }
    with pytest.raises(AsOfError, match="pins no version of contacts"):
        pin_versions(silver, ("contacts",), "contacts", as_of)
    with pytest.raises(AsOfError, match="not a readable extract manifest"):
        parse_as_of(str(tmp_path / "missing.json"))


def test_as_of_parsing_and_its_errors(tmp_path):
    assert parse_as_of(None) is None
    assert parse_as_of("12") == 12
    end_of_day = parse_as_of("2021-03-01")
    assert end_of_day.utcoffset() == timedelta(hours=3) and end_of_day.hour == 23
    assert parse_as_of("2021-03-01T06:00:00+03:00").hour == 6
    with pytest.raises(AsOfError, match="neither a Delta version"):
        parse_as_of("last tuesday")
    with pytest.raises(AsOfError, match="run the pipeline"):
        pin_versions(tmp_path, ("encounters",), "encounters", None)
