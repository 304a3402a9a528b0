"""Every quality gate on the generated city: clean rows pass, the generator's dirt and a
hand-made bad row per expectation fail the expectation meant for them."""

import copy
import json
import os
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import duckdb
import great_expectations as gx
import pandas as pd
import pytest
from deltalake import DeltaTable
from great_expectations.expectations.metadata_types import FailureSeverity

from dagster_project.defs.dbt.resources import DBT_PROJECT_DIR, dbt_executable
from dagster_project.defs.quality.gates import GATES
from expectations.runner import validate_dataframe

pytestmark = pytest.mark.integration
EVERYTHING = datetime(2000, 1, 1, tzinfo=UTC)
RUN_DATE = date(2026, 11, 26)
GATES_BY_NAME = {gate.suite_name: gate for gate in GATES}
# The eight bronze suites are one suite on eight tables: bite-test one of them.
BITE_TESTED = [
    name for name in GATES_BY_NAME if not name.startswith("bronze__") or name.endswith("__events")
]


def _doses() -> pd.DataFrame:
    """The 75-day test city ends before vaccination began (December 2020): hand-made doses."""
    return pd.DataFrame(
        {
            "immunization_id": ["imm-1", "imm-2", "imm-3"],
            "patient_key": ["a" * 64, "b" * 64, "c" * 64],
            "vaccine_code": ["sputnik-v", "sputnik-v", "sputnik-light"],
            "dose_number": [1, 2, 1],
            "occurred_date": [date(2021, 1, 5), date(2021, 1, 26), date(2021, 6, 1)],
            "_unmatched_share": [0.0, 0.0, 0.0],
            "_oldest_unmatched_days": [0, 0, 0],
        }
    )


@pytest.fixture(scope="module")
def frames(city):
    read = {gate.suite_name: gate.read(city.settings, EVERYTHING, RUN_DATE) for gate in GATES}
    if read["silver__immunizations"].empty:
        read["silver__immunizations"] = _doses()
    return read


def test_there_is_a_gate_on_every_layer(city):
    layers = {gate.asset_key[0] for gate in GATES}
    assert layers == {"bronze", "quarantine", "silver", "marts"}
    silver = {gate.asset_key[1] for gate in GATES if gate.asset_key[0] == "silver"}
    assert len(silver) == 8
    assert all(gate.blocking for gate in GATES)  # each has an error-severity expectation


def test_clean_generated_rows_pass_every_blocking_expectation(frames):
    for name, frame in frames.items():
        if frame.empty:
            continue
        outcome = validate_dataframe(frame, GATES_BY_NAME[name].build(RUN_DATE))
        assert outcome.passed, (name, [f.describe() for f in outcome.blocking_failures])


def test_the_generators_dirt_fails_the_warnings_meant_for_it(city, frames):
    # Lab results for patients the register never had wait in silver, unmatched, for weeks.
    lab = validate_dataframe(
        frames["silver__lab_results"], GATES_BY_NAME["silver__lab_results"].build(RUN_DATE)
    )
    assert any(
        f.column == "_oldest_unmatched_days" and f.severity == "warning" for f in lab.failures
    )
    # Files that could not be read at all were quarantined whole: a quarantine rate of 100 %.
    rates = [
        validate_dataframe(
            frames[f"quarantine__{feed}"], GATES_BY_NAME[f"quarantine__{feed}"].build(RUN_DATE)
        )
        for feed in ("lab", "records", "register", "tracing")
    ]
    assert any(f.column == "_quarantine_rate" for outcome in rates for f in outcome.failures)


def _shift(value, step):
    if isinstance(value, pd.Timestamp | datetime):
        return value + timedelta(seconds=step)
    if isinstance(value, date):
        return value + timedelta(days=step)
    return value + step


def violate(frame: pd.DataFrame, expectation) -> pd.DataFrame:
    """A copy of ``frame`` with one bad row (or value) the expectation must catch."""
    bad = frame.copy()
    kwargs = expectation.configuration.kwargs
    kind = expectation.expectation_type
    column = kwargs.get("column")
    first = bad.index[0]
    if kind == "expect_table_columns_to_match_set":
        bad["_unexpected_column"] = 1
    elif kind == "expect_column_values_to_not_be_null":
        bad[column] = bad[column].astype(object)
        bad.loc[first, column] = None
    elif kind == "expect_column_values_to_be_in_set":
        allowed = kwargs["value_set"]
        bad[column] = bad[column].astype(object)
        bad.loc[first, column] = (not allowed[0]) if isinstance(allowed[0], bool) else "__bogus__"
    elif kind == "expect_column_values_to_match_regex":
        bad.loc[first, column] = "not-a-pseudonym"
    elif kind == "expect_column_values_to_be_between":
        bad[column] = bad[column].astype(object)
        if kwargs.get("max_value") is not None:
            bad.loc[first, column] = _shift(kwargs["max_value"], 1)
        else:
            bad.loc[first, column] = _shift(kwargs["min_value"], -1)
    elif kind in ("expect_column_max_to_be_between", "expect_column_mean_to_be_between"):
        bad[column] = _shift(kwargs["max_value"], 1)
    elif (
        kind == "expect_column_values_to_be_unique"
        or kind == "expect_compound_columns_to_be_unique"
    ):
        bad = pd.concat([bad, bad.iloc[[0]]], ignore_index=True)
    elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs["column_A"], kwargs["column_B"]
        both = bad[bad[a].notna() & bad[b].notna()]
        if both.empty:
            pytest.skip(f"no row with both {a} and {b} to break")
        row = both.index[0]
        bad[a] = bad[a].astype(object)
        bad.loc[row, a] = _shift(bad.loc[row, b], -1)
    else:
        raise AssertionError(f"no way to violate {kind} yet: add one")
    return bad


def _cases():
    for name in BITE_TESTED:
        gate = GATES_BY_NAME[name]
        for position, expectation in enumerate(gate.build(RUN_DATE).expectations):
            label = expectation.configuration.kwargs.get("column") or expectation.expectation_type
            yield pytest.param(name, position, id=f"{name}-{position}-{label}")


@pytest.mark.parametrize(("name", "position"), list(_cases()))
def test_a_bad_row_fails_the_expectation_meant_for_it(frames, name, position):
    frame = frames[name]
    if len(frame) < 2:
        pytest.skip(f"{name}: too few rows in the test city")
    suite = GATES_BY_NAME[name].build(RUN_DATE)
    target = copy.copy(suite.expectations[position])
    sample = frame.head(200)
    alone = gx.ExpectationSuite(name=f"{name}-{position}", expectations=[target])
    if target.severity == FailureSeverity.CRITICAL:  # warnings may already fire on the dirt
        assert validate_dataframe(sample, alone).failures == []  # the clean rows pass it ...
    failed = validate_dataframe(violate(sample, target), alone).failures  # ... a bad row fails it
    kwargs = target.configuration.kwargs
    assert [(f.expectation, f.column) for f in failed] == [
        (target.expectation_type, kwargs.get("column") or kwargs.get("column_A"))
    ]


def test_every_run_records_its_results_and_builds_data_docs(city):
    results = DeltaTable(city.settings.table_path("ops", "quality_results")).to_pandas()
    assert set(results["suite"]) >= {"silver__lab_results", "marts__fct_cases_daily"}
    assert {"critical", "warning"} <= set(results["severity"])
    assert results["rows_checked"].min() > 0
    docs = city.settings.reports_dir / "data_docs"
    assert (docs / "index.html").exists()
    assert any((docs / "validations").rglob("*.html"))


def test_the_gates_are_blocking_asset_checks_on_their_assets(city):
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    specs = {
        (k.asset_key.to_user_string(), k.name): graph.get_check_spec(k)
        for k in graph.asset_check_keys
    }
    for gate in GATES:
        assert specs[("/".join(gate.asset_key), gate.suite_name)].blocking
    # downstream of a silver gate: the dbt staging model waits for it
    staging = graph.get(dg.AssetKey(["staging", "stg_records__encounters"]))
    assert dg.AssetKey(["silver", "encounters"]) in staging.parent_keys


def test_the_dashboards_marts_refuse_rows_outside_their_rules(city, tmp_path):
    """The dashboard's marts carry their row rules as enforced constraints (decision 0022):
    a key twice, a negative count or an unknown okrug is refused on write, so a build that
    computes one fails before its table replaces the old one."""
    manifest = json.loads((city.home / "dbt_target" / "build" / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.epilake.officials_dashboard"]
    for model in exposure["depends_on"]["nodes"]:
        kinds = {c["type"] for c in manifest["nodes"][model]["constraints"]}
        assert "primary_key" in kinds, model
        checks = [
            c
            for column in manifest["nodes"][model]["columns"].values()
            for c in column["constraints"]
            if c["type"] == "check"
        ]
        assert checks, f"{model} has no check constraint"

    copy_of_the_warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(city.settings.build_warehouse, copy_of_the_warehouse)
    with duckdb.connect(str(copy_of_the_warehouse)) as connection:
        row = connection.execute(
            "select date, okrug, test_type, tests, positives, positivity_rolling_7d "
            "from marts.fct_tests_daily limit 1"
        ).fetchone()
        insert = "insert into marts.fct_tests_daily values (?, ?, ?, ?, ?, ?)"
        later = row[0] + timedelta(days=10_000)
        for bad in [
            row,  # the same date, okrug and test type again
            (later, row[1], row[2], -1, 0, None),
            (later, "Atlantis", row[2], 1, 0, None),
            (later, row[1], "smell", 1, 0, None),
        ]:
            with pytest.raises(duckdb.ConstraintException):
                connection.execute(insert, bad)
        connection.execute(insert, (later, row[1], row[2], 1, 0, None))  # a good row goes in


def test_a_mart_build_that_breaks_a_rule_fails_and_keeps_the_last_good_table(city, tmp_path):
    """The contract's constraints act before the swap: dbt fills the model's `__dbt_tmp`
    table, DuckDB refuses the row, and the mart the dashboard reads stays as it was."""
    project = tmp_path / "dbt"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    model = project / "models" / "marts" / "fct_tests_daily_city.sql"
    sql = model.read_text()
    assert "\nselect * from final\n" in sql
    model.write_text(
        sql.replace(
            "\nselect * from final\n",
            "\nselect * replace (cast(-1 as bigint) as tests) from final\n",
        )
    )
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(city.settings.build_warehouse, warehouse)
    mart = "select * from marts.fct_tests_daily_city order by date, test_type"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        before = connection.execute(mart).fetchall()

    env = {**os.environ, **city.settings.export_env(), "EPILAKE_BUILD_WAREHOUSE": str(warehouse)}
    command = [dbt_executable(), "run", "--select", "fct_tests_daily_city"]
    command += ["--profiles-dir", str(project), "--target-path", str(tmp_path / "target")]
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)

    assert result.returncode != 0, result.stdout[-3000:]
    assert "CHECK constraint failed" in result.stdout and "tests BETWEEN 0" in result.stdout
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute(mart).fetchall() == before
        assert before


def test_a_models_row_rules_count_every_broken_rule_in_one_test(city, tmp_path):
    """`row_rules` (one test node per model for its keys, not-null, accepted-value and
    range rules): passes on the city's warehouse, and on a copy with bad rows fails naming
    each broken rule with its count of offending rows."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(city.settings.build_warehouse, warehouse)
    env = {**os.environ, **city.settings.export_env(), "EPILAKE_BUILD_WAREHOUSE": str(warehouse)}
    command = [dbt_executable(), "test", "--select", "row_rules_int_immunity_intervals"]
    command += ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target")]

    def dbt_test() -> subprocess.CompletedProcess:
        return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)

    clean = dbt_test()
    assert clean.returncode == 0, clean.stdout[-3000:]
    assert "PASS row_rules_int_immunity_intervals" in clean.stdout, clean.stdout[-3000:]

    with duckdb.connect(str(warehouse)) as connection:
        table = "intermediate.int_immunity_intervals"
        row = connection.execute(f"select * from {table} limit 1").fetchdf()
        assert len(row) == 1, "the city has no immunity intervals: the test proves nothing"
        # A null key; the same unknown measure twice (also one duplicate interval); a copy
        # of a stored interval (another duplicate).
        bad = pd.concat([row.assign(patient_key=None), *[row.assign(measure="bogus")] * 2, row])
        connection.register("bad_rows", bad)
        connection.execute(f"insert into {table} by name select * from bad_rows")
    broken = dbt_test()

    # A failed test warns (dbt_project.yml): dbt builds on, the publication holds back.
    assert "WARN 5 row_rules_int_immunity_intervals" in broken.stdout, broken.stdout[-3000:]
    assert "Got 5 results" in broken.stdout, broken.stdout[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    results = [each for each in results if each["unique_id"].startswith("test.")]  # no hook
    assert [each["failures"] for each in results] == [5]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rules = dict(connection.execute(results[0]["compiled_code"]).fetchall())
    assert rules == {
        "(patient_key, measure, from_date) is unique": 2,
        "patient_key is not null": 1,
        "measure in accepted values": 2,
    }
