"""The whole pipeline on a generated city: marts equal the generator's truth."""

import csv
import json
import shutil
from collections import defaultdict
from datetime import date

import dagster as dg
import duckdb
import pytest
from delta.tables import DeltaTable

from dagster_project.defs.feeds.assets import FEEDS_BY_NAME
from epilake.duckdb_delta import connect
from epilake.generator import CityConfig, generate_city
from epilake.generator.writer import NOT_QUARANTINED
from spark_jobs.common.landing import FEEDS, decode_file, discover
from spark_jobs.register.codes import DIRECT_IDENTIFIERS
from tests.integration.conftest import run_on

pytestmark = pytest.mark.integration
NEWCOMER = "7799999999"  # a patient id the generated register never uses
CONFIG = CityConfig(patients=8_000, days=75, seed=11, dirt=0.03)


@pytest.fixture(scope="module")
def city(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("city")
    generate_city(root / "landing", CONFIG)
    return run_on(root / "landing", root / "home")


def _truth(city, name):
    with (city.landing / "_truth" / name).open() as handle:
        return list(csv.DictReader(handle))


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


def _quarantine(spark, city):
    """Quarantined records of every feed, by (source file, line)."""
    rows = {}
    for feed in FEEDS:
        path = city.settings.table_path("quarantine", feed)
        if DeltaTable.isDeltaTable(spark, path):
            for row in spark.read.format("delta").load(path).where("_line is not null").collect():
                rows[(row["_source_file"], row["_line"])] = row
    return rows


def test_every_injected_record_fault_is_quarantined_with_its_rule_and_nothing_else(city, spark):
    all_faults = _truth(city, "faults.csv")
    unreadable = {f["file"] for f in all_faults if not f["line"]}
    faults = [
        f
        for f in all_faults
        if f["line"] and f["expected"] not in NOT_QUARANTINED and f["file"] not in unreadable
    ]
    assert {f["feed"] for f in faults} == set(FEEDS)
    quarantine = _quarantine(spark, city)
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
    expected_status["encoding_error"] = "file_quarantined"
    file_faults = [f for f in _truth(city, "faults.csv") if f["kind"] in expected_status]
    assert {f["feed"] for f in file_faults} == {"lab", "tracing"}
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
    assert {r["feed"] for r in loaded} == set(FEEDS)
    assert all(
        r["records_read"] == r["records_accepted"] + r["records_quarantined"] for r in loaded
    )
    quarantine = _quarantine(spark, city)
    for feed in FEEDS:
        sources = {r["source_file"] for r in loaded if r["feed"] == feed}
        lines = 0
        for file in discover(city.landing, feed):
            if file.path.relative_to(city.landing).as_posix() in sources:
                decoded = decode_file(file.path, file.compressed).lines
                lines += len(decoded) - (1 if feed == "register" else 0)  # the CSV header
        assert sum(r["records_read"] for r in loaded if r["feed"] == feed) == lines, feed
        bronze = sum(
            _table(spark, city, "bronze", feed, entity).count()
            for entity in FEEDS_BY_NAME[feed].entities
            if DeltaTable.isDeltaTable(spark, city.settings.table_path("bronze", feed, entity))
        )
        quarantined = sum(1 for source, _ in quarantine if source in sources)
        assert bronze + quarantined == lines, feed


def _landing_identifiers(city) -> set[str]:
    """Every direct identifier the landing files carry: ids, names, phones, policies, addresses."""
    identifiers = set()
    for feed in FEEDS:
        for file in discover(city.landing, feed):
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


def test_no_direct_identifier_reaches_silver_or_the_warehouse(city, spark):
    identifiers = _landing_identifiers(city)
    assert len(identifiers) > 20_000
    silver_root = city.settings.lake / "silver"
    tables = sorted(p.name for p in silver_root.iterdir())
    assert len(tables) == 8
    for name in tables:
        silver = _table(spark, city, "silver", name)
        text_columns = [f.name for f in silver.schema if f.dataType.simpleString() == "string"]
        values = {v for row in silver.select(*text_columns).collect() for v in row if v}
        assert values.isdisjoint(identifiers), name
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
    paths = [p for p in (city.settings.lake).glob("*/*") if (p / "_delta_log").is_dir()] + [
        p for p in (city.settings.lake / "bronze").glob("*/*") if (p / "_delta_log").is_dir()
    ]
    return {
        str(path): DeltaTable.forPath(spark, str(path)).history(1).collect()[0]["version"]
        for path in paths
        if "ops" not in path.parts
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
    # The same run also takes a result for a patient the register does not know yet.
    newcomer = {
        **original,
        "id": "obs-newcomer-1",
        "subject": {"reference": f"Patient/{NEWCOMER}"},
        "effectiveDateTime": "2020-05-31T10:00:00+03:00",  # after the city's last day
        "issued": "2020-06-01T12:00:00+03:00",
    }
    (folder / "lab-newcomer-01.ndjson").write_text(json.dumps(newcomer) + "\n")

    rerun = run_on(city.landing, city.home)

    assert rerun.report.success, rerun.output
    assert _mart(city)[key][:2] == (tests, positives - 1)
    row = (
        _table(spark, city, "silver", "lab_results")
        .where(f"result_id = '{target['result_id']}'")
        .first()
    )
    assert row["status"] == "amended" and row["is_positive"] is False


def _silver_snapshot(spark, city):
    """The content of every silver table, without load timestamps (a run's own time)."""
    snapshot = {}
    for path in sorted((city.settings.lake / "silver").iterdir()):
        frame = spark.read.format("delta").load(str(path)).drop("_ingested_at")
        snapshot[path.name] = sorted(map(tuple, frame.collect()), key=repr)
    return snapshot


def test_rerunning_a_partition_leaves_silver_identical(city, spark):
    from dagster_project.definitions import defs

    before = _silver_snapshot(spark, city)
    job = defs.resolve_job_def("epilake_pipeline")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in city.settings.export_env().items():
            patch.setenv(name, value)
        result = job.execute_in_process(
            partition_key="2020-04-15",
            raise_on_error=False,
            instance=dg.DagsterInstance.ephemeral(),
        )
    assert result.success
    assert _silver_snapshot(spark, city) == before


def test_a_row_waits_unmatched_until_the_register_delivers_its_patient(city, spark):
    # The previous test delivered obs-newcomer-1 for a patient the register did not know.
    row = _table(spark, city, "silver", "lab_results").where("result_id = 'obs-newcomer-1'").first()
    assert row["patient_in_register"] is False  # kept, not quarantined

    register_file = next(discover(city.landing, "register")[0].path.parent.glob("*.csv*"))
    decoded = decode_file(register_file, register_file.name.endswith(".gz")).lines
    header, template = decoded[0], next(csv.DictReader(decoded[:2]))
    template.update(
        event_id="evt-newcomer-1", patient_id=NEWCOMER, event_time="2020-06-02T09:00:00+03:00"
    )
    register_folder = city.landing / "register" / "2020-06-03"
    register_folder.mkdir(parents=True)
    (register_folder / "reg-newcomer-01.csv").write_text(
        header + "\n" + ",".join(f'"{template[c]}"' for c in header.split(",")) + "\n"
    )

    rerun = run_on(city.landing, city.home)

    assert rerun.report.success, rerun.output
    row = _table(spark, city, "silver", "lab_results").where("result_id = 'obs-newcomer-1'").first()
    assert row["patient_in_register"] is True
    shutil.rmtree(register_folder)
    shutil.rmtree(city.landing / "lab" / "2020-06-01")
