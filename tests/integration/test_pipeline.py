"""The whole pipeline on a generated city: marts equal the generator's truth."""

import csv
import json
import shutil
from collections import defaultdict
from datetime import date

import duckdb
import pytest
from delta.tables import DeltaTable

from epilake.duckdb_delta import connect
from epilake.generator import CityConfig, generate_city
from epilake.generator.writer import NOT_QUARANTINED
from spark_jobs.common.landing import decode_file, discover
from tests.integration.conftest import run_on

pytestmark = pytest.mark.integration
CONFIG = CityConfig(patients=8_000, days=75, seed=11, dirt=0.03)
HANDLED = {
    "latest_version_wins",
    "retracted",
    "unmatched",
    "duplicate_skipped",
    "conflict_rejected",
}


@pytest.fixture(scope="module")
def city(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("city")
    generate_city(root / "landing", CONFIG)
    return run_on(root / "landing", root / "home")


def _truth(city, name):
    with (city.landing / "_truth" / name).open() as handle:
        return list(csv.DictReader(handle))


def _lab_faults(city):
    return [f for f in _truth(city, "faults.csv") if f["feed"] == "lab"]


def _mart(city):
    with duckdb.connect(str(city.settings.warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select date, test_type, tests, positives, positivity_rolling_7d "
            "from marts.fct_tests_daily"
        ).fetchall()
    return {(d.isoformat(), t): (tests, pos, rate) for d, t, tests, pos, rate in rows}


def _table(spark, city, *parts):
    return spark.read.format("delta").load(city.settings.table_path(*parts))


def test_the_run_succeeds_and_writes_every_output(city):
    assert city.report.success, city.output
    assert city.settings.warehouse.exists()
    assert (city.settings.dashboards_dir / "index.html").exists()
    assert (city.settings.reports_dir / "dbt_docs" / "index.html").exists()
    assert "Pipeline succeeded" in city.output


def test_tests_mart_equals_the_generator_truth_for_every_date_and_type(city):
    truth = {
        (r["specimen_date"], r["test_type"]): (int(r["tests"]), int(r["positives"]))
        for r in _truth(city, "lab_tests_daily.csv")
    }
    mart = _mart(city)
    assert sum(t for t, _ in truth.values()) > 300
    for key, (tests, positives) in truth.items():
        assert mart[key][:2] == (tests, positives), key
    assert all(mart[key][:2] == (0, 0) for key in set(mart) - set(truth))


def test_positivity_is_distinct_patients_over_seven_days(city, spark):
    # Recompute independently from silver (not from the mart's own SQL).
    rows = (
        _table(spark, city, "silver", "lab_results")
        .where(
            "test_type = 'pcr' and status in ('final','amended','corrected') and not is_retracted"
        )
        .select("specimen_date", "patient_key", "is_positive")
        .collect()
    )
    by_day = defaultdict(list)
    for row in rows:
        by_day[row["specimen_date"]].append(row)
    mart = _mart(city)
    checked = 0
    for (day_text, test_type), (_, _, rate) in mart.items():
        if test_type != "pcr":
            continue
        day = date.fromisoformat(day_text)
        window = [
            r
            for offset in range(7)
            for r in by_day.get(day.fromordinal(day.toordinal() - offset), [])
        ]
        tested = {r["patient_key"] for r in window}
        positive = {r["patient_key"] for r in window if r["is_positive"]}
        expected = round(100 * len(positive) / len(tested), 2) if tested else None
        assert rate == expected, day_text
        checked += 1
    assert checked > 60


def test_every_injected_record_fault_is_quarantined_with_its_rule_and_nothing_else(city, spark):
    unreadable = {f["file"] for f in _lab_faults(city) if f["kind"] == "truncated_gzip"}
    faults = [
        f
        for f in _lab_faults(city)
        if f["line"] and f["expected"] not in NOT_QUARANTINED and f["file"] not in unreadable
    ]
    assert len(faults) >= 10
    quarantine = {
        (r["_source_file"], r["_line"]): r
        for r in _table(spark, city, "quarantine", "lab").where("_line is not null").collect()
    }
    for fault in faults:
        row = quarantine[(fault["file"], int(fault["line"]))]
        assert row["rule"] == fault["expected"], fault
        assert row["reason"]
    unexpected = {k for k in quarantine if k[0] not in unreadable} - {
        (f["file"], int(f["line"])) for f in faults
    }
    assert unexpected == set()


def test_file_level_faults_are_audited_and_kept_aside(city, spark):
    audit = {r["source_file"]: r for r in _table(spark, city, "ops", "batch_audit").collect()}
    expected_status = {
        "redelivered_identical": "duplicate_skipped",
        "redelivered_conflicting": "conflict_rejected",
        "truncated_gzip": "file_quarantined",
    }
    file_faults = [f for f in _lab_faults(city) if f["kind"] in expected_status]
    assert len(file_faults) == 3
    for fault in file_faults:
        assert audit[fault["file"]]["status"] == expected_status[fault["kind"]]
        if fault["kind"] != "redelivered_identical":
            assert (city.settings.rejected_dir / fault["file"]).exists()
    conflict = next(f for f in file_faults if f["kind"] == "redelivered_conflicting")
    assert "different bytes" in audit[conflict["file"]]["message"]
    assert any("different bytes" in w for w in city.report.warnings)


def test_every_batch_reconciles_and_every_landed_line_is_counted(city, spark):
    audit = _table(spark, city, "ops", "batch_audit").collect()
    loaded = [r for r in audit if r["status"] == "loaded"]
    assert loaded and all(
        r["records_read"] == r["records_accepted"] + r["records_quarantined"] for r in loaded
    )
    lines = 0
    for file in discover(city.landing, "lab"):
        source = file.path.relative_to(city.landing).as_posix()
        if any(r["source_file"] == source for r in loaded):
            lines += len(decode_file(file.path, file.compressed).lines)
    assert sum(r["records_read"] for r in loaded) == lines
    bronze = _table(spark, city, "bronze", "lab", "observations").count()
    quarantined = _table(spark, city, "quarantine", "lab").where("_line is not null").count()
    assert bronze + quarantined == lines


def test_no_direct_identifier_reaches_silver_or_the_warehouse(city, spark):
    identifiers = set()
    for file in discover(city.landing, "lab"):
        for line in decode_file(file.path, file.compressed).lines or []:
            try:
                resource = json.loads(line)
            except json.JSONDecodeError:
                continue
            reference = (resource.get("subject") or {}).get("reference", "")
            identifiers.add(reference.removeprefix("Patient/"))
            identifiers.update(i["value"] for i in resource.get("identifier", []))
    identifiers.discard("")
    assert len(identifiers) > 500
    silver = _table(spark, city, "silver", "lab_results")
    text_columns = [f.name for f in silver.schema if f.dataType.simpleString() == "string"]
    values = {v for row in silver.select(*text_columns).collect() for v in row if v}
    assert values.isdisjoint(identifiers)
    with connect(city.settings.warehouse, read_only=True) as connection:
        text_columns = connection.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        assert len(text_columns) >= 5
        for schema, table, column in text_columns:
            found = connection.execute(
                f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            assert {v for (v,) in found}.isdisjoint(identifiers), f"{schema}.{table}.{column}"


def test_the_dashboard_shows_the_marts_after_suppression(city):
    data = json.loads((city.settings.dashboards_dir / "data.json").read_text())
    mart = _mart(city)
    last = max(day for day, _ in mart)
    assert data["as_of"] == last
    assert data["run_id"] == city.report.run_id
    page = (city.settings.dashboards_dir / "index.html").read_text()
    assert "Testing: where the city stands" in page and last in page
    from epilake.privacy import suppress_count

    for day in data["series"]:
        for test_type in ("pcr", "antigen", "antibody"):
            tests, positives, _ = mart[(day["date"], test_type)]
            assert day[f"tests_{test_type}"] == suppress_count(tests)
            assert day[f"positives_{test_type}"] == suppress_count(positives)


def _versions(spark, city):
    tables = {
        "bronze": ("bronze", "lab", "observations"),
        "silver": ("silver", "lab_results"),
        "quarantine": ("quarantine", "lab"),
    }
    return {
        name: DeltaTable.forPath(spark, city.settings.table_path(*parts))
        .history(1)
        .collect()[0]["version"]
        for name, parts in tables.items()
    }


def test_a_second_run_changes_nothing(city, spark):
    before = _versions(spark, city)
    mart_before = _mart(city)
    again = run_on(city.landing, city.home)
    assert again.report.success, again.output
    # The conflicting re-delivery was reported by the first run; nothing new conflicts now.
    assert not any("different bytes" in w for w in again.report.warnings)
    after = _versions(spark, city)
    assert after == before
    assert _mart(city) == mart_before


def test_a_late_amendment_updates_the_mart_and_a_late_old_version_does_not(city, spark):
    silver = _table(spark, city, "silver", "lab_results")
    target = (
        silver.where("status = 'final' and test_type = 'pcr' and is_positive")
        .orderBy("result_id")
        .first()
    )
    original = next(
        json.loads(line)
        for file in discover(city.landing, "lab")
        for line in (decode_file(file.path, file.compressed).lines or [])
        if f'"id":"{target["result_id"]}"' in line and '"status":"final"' in line
    )
    amended = {
        **original,
        "status": "amended",
        "meta": {"lastUpdated": "2020-06-01T12:00:00+03:00"},
        "valueCodeableConcept": {
            "coding": [{"system": "http://snomed.info/sct", "code": "260415000"}]
        },
    }
    stale = {
        **original,
        "meta": {"lastUpdated": "2020-01-01T00:00:00+03:00"},
        "status": "preliminary",
    }
    folder = city.landing / "lab" / "2020-06-01"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "late-amendment-01.ndjson").write_text(
        json.dumps(amended) + "\n" + json.dumps(stale) + "\n"
    )
    key = (target["specimen_date"].isoformat(), "pcr")
    tests, positives, _ = _mart(city)[key]

    rerun = run_on(city.landing, city.home)

    assert rerun.report.success, rerun.output
    assert _mart(city)[key][:2] == (tests, positives - 1)
    row = (
        _table(spark, city, "silver", "lab_results")
        .where(f"result_id = '{target['result_id']}'")
        .first()
    )
    assert row["status"] == "amended" and row["is_positive"] is False
    shutil.rmtree(folder)
