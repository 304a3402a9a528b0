"""The whole pipeline on a generated city: marts equal the generator's truth."""

import csv
import json
import os
import shutil
import subprocess
from collections import defaultdict
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from delta.tables import DeltaTable

from dagster_project.defs.dbt import docs_state
from dagster_project.defs.dbt.resources import DBT_PROJECT_DIR, dbt_executable
from dagster_project.defs.feeds.assets import FEEDS_BY_NAME
from epilake.duckdb_delta import connect
from epilake.generator.writer import NOT_QUARANTINED
from spark_jobs.common.landing import FEEDS, decode_file, discover
from tests.integration import reference
from tests.integration.conftest import CITY, dagster_instance, landing_identifiers, run_on

pytestmark = pytest.mark.integration
NEWCOMER = "7799999999"  # a patient id the generated register never uses


def _truth(city, name):
    with (city.landing / "_truth" / name).open() as handle:
        return list(csv.DictReader(handle))


def _mart(city):
    with duckdb.connect(str(city.settings.warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select date, test_type, tests, positives, positivity_rolling_7d "
            "from marts.fct_tests_daily_city"
        ).fetchall()
    return {(d.isoformat(), t): (tests, pos, rate) for d, t, tests, pos, rate in rows}


def _table(spark, city, *parts):
    return spark.read.format("delta").load(city.settings.table_path(*parts))


def test_the_run_succeeds_and_writes_every_output(city):
    assert city.report.success, city.output
    assert city.settings.warehouse.exists()
    assert (city.settings.dashboards_dir / "index.html").exists()
    assert (city.settings.reports_dir / "dbt_docs" / "index.html").exists()
    # Data Docs: every gate's validation, rendered in one batch after the dashboard.
    docs = city.settings.reports_dir / "data_docs"
    index = (docs / "index.html").read_text()
    assert "marts__fct_cases_daily" in index and "silver__lab_results" in index
    assert len(list((docs / "validations").rglob("*.html"))) >= 20
    assert "Pipeline succeeded" in city.output


def test_the_dbt_unit_tests_pass_on_the_runs_warehouse(city, tmp_path):
    """A run's ``dbt build`` leaves the unit tests out (they check SQL, not data); here they
    run against the warehouse the run built (dbt reads the inputs' column types from it).
    dbt sends no usage events (the project's flags), which its debug log would show."""
    command = [dbt_executable(), "test", "--select", "test_type:unit", "--target-path"]
    command += [str(tmp_path), "--log-path", str(tmp_path / "logs"), "--log-level-file", "debug"]
    result = subprocess.run(
        command,
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **city.settings.export_env(), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads((tmp_path / "run_results.json").read_text())["results"]
    # Besides the unit tests: the project's on-run-start hook (the incremental models' state).
    results = [r for r in results if not r["unique_id"].startswith("operation.epilake.")]
    assert len(results) >= 4
    assert all(r["unique_id"].startswith("unit_test.") for r in results)
    assert {r["status"] for r in results} == {"pass"}
    log = (tmp_path / "logs" / "dbt.log").read_text()
    assert "Running with dbt=" in log and "Sending event" not in log


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


def _by_date_and_okrug(city, query):
    with duckdb.connect(str(city.settings.warehouse), read_only=True) as connection:
        return {(day, okrug): value for day, okrug, value in connection.execute(query).fetchall()}


def test_cases_positivity_and_admissions_equal_a_plain_python_reading_of_the_feeds(city):
    """Every date and okrug of three marts against tests/integration/reference.py."""
    register = reference.Register.from_landing(city.landing)
    results = reference.lab_results(city.landing)
    cases = _by_date_and_okrug(
        city, "select date, okrug, sum(new_cases) from marts.fct_cases_daily group by all"
    )
    positivity = _by_date_and_okrug(
        city,
        "select date, okrug, positivity_rolling_7d from marts.fct_tests_daily "
        "where test_type = 'pcr'",
    )
    admissions = _by_date_and_okrug(
        city, "select date, okrug, admissions from marts.fct_hospital_daily"
    )
    okrugs = {okrug for _, okrug in cases}
    assert len(okrugs) == 13 and len(cases) == len(positivity) == len(admissions)

    expected_cases = reference.new_cases(results, register)
    assert sum(expected_cases.values()) > 40
    assert cases == {key: expected_cases.get(key, 0) for key in cases}
    assert sum(cases.values()) == sum(expected_cases.values())  # none outside the calendar

    expected_positivity = reference.pcr_positivity(results, register)
    for key, rate in positivity.items():
        expected = expected_positivity.get(key)
        assert (rate is None) == (expected is None), key
        assert rate is None or abs(rate - expected) <= 0.005 + 1e-9, (key, rate, expected)
    assert sum(rate is not None for rate in positivity.values()) > 300

    expected_admissions = reference.covid_admissions(city.landing, results, register)
    assert sum(expected_admissions.values()) > 10
    assert admissions == {key: expected_admissions.get(key, 0) for key in admissions}
    assert sum(admissions.values()) == sum(expected_admissions.values())


def test_every_dashboard_query_answers_from_the_marts(city):
    from dashboards.queries import DASHBOARD_QUERIES, run_dashboard_query

    with duckdb.connect(str(city.settings.warehouse), read_only=True) as connection:
        first, last = connection.execute(
            "select min(date), max(date) from marts.fct_cases_daily"
        ).fetchone()
        for name in DASHBOARD_QUERIES:
            assert run_dashboard_query(connection, name, "all", first, last), name
        total = connection.execute("select sum(new_cases) from marts.fct_cases_daily").fetchone()
        curve = run_dashboard_query(connection, "epidemic_curve", "all", first, last)
        one_okrug = run_dashboard_query(connection, "epidemic_curve", "SAO", first, last)
    assert sum(day[1] for day in curve) == total[0] > sum(day[1] for day in one_okrug) > 0
    assert [day[0] for day in curve] == [day[0] for day in one_okrug]


def test_the_readme_questions_run_against_the_warehouse(city):
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    block = readme.split("Three questions an analyst can ask:", 1)[1]
    block = block.split("```sql", 1)[1].split("```", 1)[0]
    statements = [s for s in block.split(";") if "select" in s]
    assert len(statements) == 3
    with duckdb.connect(str(city.settings.warehouse), read_only=True) as connection:
        for statement in statements:
            assert connection.execute(statement).fetchall(), statement


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


def _distinct_text(connection, relation: str) -> set[str]:
    """Every distinct value of every text column of ``relation``."""
    columns = [
        name
        for name, kind, *_ in connection.execute(f"describe select * from {relation}").fetchall()
        if kind == "VARCHAR"
    ]
    assert columns, relation
    union = " union ".join(f'select distinct "{c}" as v from {relation}' for c in columns)
    found = connection.execute(f"select v from ({union}) where v is not null").fetchall()
    return {v for (v,) in found}


def test_no_direct_identifier_reaches_silver_or_the_warehouse(city):
    identifiers = landing_identifiers(city.landing)
    assert len(identifiers) > 20_000
    silver_root = city.settings.lake / "silver"
    tables = sorted(p.name for p in silver_root.iterdir())
    assert len(tables) == 8
    seen = 0
    with connect() as lake:
        for name in tables:  # immunizations is empty: the city ends before vaccination
            values = _distinct_text(lake, f"delta_scan('{silver_root / name}')")
            assert values.isdisjoint(identifiers), name
            seen += len(values)
    assert seen > 10_000  # the keys, codes and texts of silver were read
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
    with duckdb.connect(str(city.settings.warehouse), read_only=True) as connection:
        daily = connection.execute(
            "select date, sum(new_cases) from marts.fct_cases_daily group by date order by date"
        ).fetchall()
        pcr = dict(
            connection.execute(
                "select date, tests from marts.fct_tests_daily_city where test_type = 'pcr'"
            ).fetchall()
        )
    assert data["as_of"] == daily[-1][0].isoformat()
    assert data["run_id"] == city.report.run_id
    assert data["dates"] == [day.isoformat() for day, _ in daily]
    from epilake.privacy import suppress_count

    assert data["daily"]["all"]["new_cases"] == [suppress_count(int(n)) for _, n in daily]
    assert data["daily"]["all"]["pcr_tests"] == [suppress_count(pcr[day]) for day, _ in daily]
    page = (city.settings.dashboards_dir / "index.html").read_text()
    assert "Where the epidemic stands" in page and data["as_of"] in page


def _versions(spark, city):
    paths = [p for p in (city.settings.lake).glob("*/*") if (p / "_delta_log").is_dir()] + [
        p for p in (city.settings.lake / "bronze").glob("*/*") if (p / "_delta_log").is_dir()
    ]
    return {
        str(path): DeltaTable.forPath(spark, str(path)).history(1).collect()[0]["version"]
        for path in paths
        if "ops" not in path.parts
    }


def _warehouse_snapshot(city):
    """Every mart's rows, sorted: equal snapshots mean identical marts."""
    with duckdb.connect(str(city.settings.warehouse), read_only=True) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        return {
            name: sorted(connection.execute(f"select * from marts.{name}").fetchall(), key=repr)
            for name in tables
        }


def _step_spans(city, run_id: str) -> dict[str, tuple[float, float]]:
    spans, starts = {}, {}
    with dagster_instance(city.home) as instance:
        for record in instance.all_logs(run_id):
            kind = record.dagster_event.event_type_value if record.dagster_event else None
            if kind == "STEP_START":
                starts[record.step_key] = record.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
                spans[record.step_key] = (starts[record.step_key], record.timestamp)
    return spans


def _docs_materialization(city, run_id: str) -> dict:
    """The dbt docs step's materialisation metadata in run ``run_id`` (without the path)."""
    with dagster_instance(city.home) as instance:
        for record in instance.all_logs(run_id):
            event = record.dagster_event
            if event and event.is_step_materialization and event.step_key == "reports__dbt_docs":
                metadata = event.step_materialization_data.materialization.metadata
                return {k: v.value for k, v in metadata.items() if k != "index"}
    return {}


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_steps_overlap_within_the_executors_limits(city):
    """The run's steps share one process on threads: gates run beside Spark steps, while
    Spark steps of a long window (a first load) take turns, as do the warehouse's users."""
    from dagster_project.definitions import pipeline_job
    from dagster_project.defs.pipeline.executor import SPARK_TAG, WAREHOUSE_TAG

    spans = _step_spans(city, city.report.run_id)
    nodes = {node.name: node.definition.tags for node in pipeline_job().graph.nodes}
    spark = [key for key in spans if SPARK_TAG in nodes[key]]
    warehouse = [key for key in spans if WAREHOUSE_TAG in nodes[key]]
    gates = [key for key in spans if key.endswith(("_gates", "_batches"))]
    assert len(spark) == 8 and len(warehouse) == 10 and len(gates) >= 10
    assert any(_overlap(spans[g], spans[s]) for g in gates for s in spark)
    for group in (spark, warehouse):
        assert not any(_overlap(spans[a], spans[b]) for a in group for b in group if a < b), group


# Reruns on the city that test the data leave these out (the second run builds everything).
AFTER_THE_DASHBOARD = ("extracts", "reports")
ANALYST_MARTS = ("marts/dim_patients", "marts/fct_patient_journeys", "marts/fct_tracing_by_setting")


def _rows_of(output: str, *prefixes: str) -> list[str]:
    """The rows of a run's printed table about assets under these prefixes."""
    return [line for line in output.splitlines() if line.lstrip("│ ").startswith(prefixes)]


def test_a_second_run_changes_nothing(city, spark):
    before = _versions(spark, city)
    mart_before = _warehouse_snapshot(city)
    assert len(mart_before) == 10 and all(mart_before.values())
    docs = city.settings.reports_dir / "dbt_docs"
    docs_before = {name: (docs / name).stat().st_mtime_ns for name in docs_state.SITE_FILES}
    again = run_on(city.landing, city.home)
    assert again.report.success, again.output
    # Nothing the dbt docs are generated from changed: the site is kept, not regenerated.
    assert _docs_materialization(city, again.report.run_id) == {
        "generated": False,
        "up_to_date": True,
    }
    assert {name: (docs / name).stat().st_mtime_ns for name in docs_state.SITE_FILES} == docs_before
    # The conflicting re-delivery was reported by the first run; nothing new conflicts now.
    assert not any("different bytes" in w for w in again.report.warnings)
    after = _versions(spark, city)
    assert after == before
    assert _warehouse_snapshot(city) == mart_before


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

    # The feeds, the dashboard's marts and their gates; not the analysts' marts, extracts and
    # catalogues after the dashboard, which this test does not read.
    rerun = run_on(city.landing, city.home, leave_out=(*AFTER_THE_DASHBOARD, *ANALYST_MARTS))

    assert rerun.report.success, rerun.output
    assert "marts/fct_tests_daily:marts__fct_tests_daily" in rerun.output  # gated
    assert _rows_of(rerun.output, "marts/fct_tests_daily")  # the table lists what ran
    assert not _rows_of(rerun.output, "extracts/", "reports/", "marts/dim_patients")
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
    from dagster_project.defs.partitions import add_delivery_dates

    before = _silver_snapshot(spark, city)
    # The partition's feed steps (bronze, quarantine, silver and their gates): what writes
    # silver; the warehouse steps after them only read it.
    whole = defs.resolve_job_def("epilake_pipeline")
    feeds = {
        key
        for key in whole.asset_layer.executable_asset_keys
        if key.path[0] in ("bronze", "quarantine", "silver")
    }
    job = whole.get_subset(asset_selection=feeds)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in city.settings.export_env().items():
            patch.setenv(name, value)
        instance = dg.DagsterInstance.ephemeral()
        add_delivery_dates(instance, [date(2020, 4, 15)])
        result = job.execute_in_process(
            partition_key="2020-04-15", raise_on_error=False, instance=instance
        )
    assert result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert {key for key in feeds if key.path[0] == "silver"} <= materialized
    assert _silver_snapshot(spark, city) == before


def _awaiting_register(city, result_id: str) -> list[tuple]:
    """The lab result as the build warehouse's list of rows awaiting the register shows it
    (staging models are not published)."""
    with connect(city.settings.build_warehouse, read_only=True) as connection:
        return connection.execute(
            "select feed, silver_table, patient_role from staging.stg_register__awaiting_rows "
            "where row_id = ?",
            [result_id],
        ).fetchall()


def test_a_row_waits_unmatched_until_the_register_delivers_its_patient(city, spark):
    # The previous test delivered obs-newcomer-1 for a patient the register did not know.
    row = _table(spark, city, "silver", "lab_results").where("result_id = 'obs-newcomer-1'").first()
    assert row is not None  # kept in silver, not quarantined
    assert _awaiting_register(city, "obs-newcomer-1") == [("lab", "lab_results", "patient")]

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

    rerun = run_on(city.landing, city.home, leave_out=AFTER_THE_DASHBOARD)

    assert rerun.report.success, rerun.output
    row = _table(spark, city, "silver", "lab_results").where("result_id = 'obs-newcomer-1'").first()
    assert _awaiting_register(city, "obs-newcomer-1") == []  # matched, still in silver
    assert row is not None
    with duckdb.connect(str(city.settings.warehouse), read_only=True) as connection:
        journey = connection.execute(
            "select episode_start, okrug from marts.fct_patient_journeys where patient_key = ?",
            [row["patient_key"]],
        ).fetchone()
        patient = connection.execute(
            "select is_in_register, okrug from marts.dim_patients where patient_key = ?",
            [row["patient_key"]],
        ).fetchone()
    # The case began before the register knew the patient: its okrug stays unknown (history,
    # not today's state); the patient dimension shows today's register row.
    assert journey == (date(2020, 5, 31), "unknown")
    assert patient == (True, template["okrug"])
    shutil.rmtree(register_folder)
    shutil.rmtree(city.landing / "lab" / "2020-06-01")


INCREMENTAL_MODELS = {
    "int_register_versions",
    "int_lab_results_located",
    "int_resident_intervals",
    "int_case_episodes",
    "int_contacts_traced",
    "int_immunity_intervals",
}


def _tables(connection, schemas: tuple[str, ...]) -> list[str]:
    return [
        f"{schema}.{name}"
        for schema, name in connection.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name in ? order by all",
            [list(schemas)],
        ).fetchall()
    ]


def test_the_incremental_models_equal_a_full_rebuild_after_the_late_deliveries(city, tmp_path):
    # The reruns above (a late amendment, a result before its patient's register row, then
    # that row) updated the intermediate models incrementally, per changed patient.
    with connect(city.settings.build_warehouse, read_only=True) as connection:
        builds = dict(
            connection.execute(
                "select model, count(*) from main.epilake_incremental_state group by model"
            ).fetchall()
        )
        changed = connection.execute(
            "select count(distinct patient_key) from intermediate.int_patient_changes"
        ).fetchone()[0]
    assert set(builds) == INCREMENTAL_MODELS
    assert min(builds.values()) >= 3  # the first run, then incremental ones
    assert 0 < changed < CITY.patients / 10  # the reruns' patients, not everyone
    copy = tmp_path / "rebuilt.duckdb"
    shutil.copy(city.settings.build_warehouse, copy)
    command = [
        dbt_executable(),
        "run",
        "--full-refresh",
        "--select",
        "+exposure:officials_dashboard",
    ]
    command += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    env = {**os.environ, **city.settings.export_env(), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
    result = subprocess.run(
        command,
        cwd=DBT_PROJECT_DIR,
        env={**env, "EPILAKE_BUILD_WAREHOUSE": str(copy)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]

    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    rebuilt = {r["unique_id"].split(".")[-1] for r in results} - {"int_patient_changes"}
    with connect(city.settings.build_warehouse, read_only=True) as connection:
        connection.execute(f"attach '{copy}' as rebuilt (read_only)")
        tables = [
            table
            for table in _tables(connection, ("intermediate", "marts"))
            if table.split(".")[1] in rebuilt  # the change log itself starts again
        ]
        assert INCREMENTAL_MODELS | {"fct_tests_daily", "fct_cases_daily"} <= {
            table.split(".")[1] for table in tables
        }
        for table in tables:
            differ = connection.execute(
                f"select count(*) from ((select * from {table} except all "
                f"select * from rebuilt.{table}) union all (select * from rebuilt.{table} "
                f"except all select * from {table}))"
            ).fetchone()[0]
            assert differ == 0, f"{table}: {differ} rows differ from a full rebuild"
