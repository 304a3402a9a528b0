"""Publication: a held-back mart keeps its last published version; the rest is published;
a reader's open connection never sees a half-published warehouse."""

from datetime import date

import duckdb
import pytest

from epilake.publication import (
    HELD,
    PUBLISHED,
    GateFailure,
    gate_failures,
    held_back,
    held_now,
    publish,
    read_statuses,
    record_gate_failures,
)

CASES, IMMUNITY = "marts.fct_cases_daily", "marts.fct_immunity_daily"
BAD_DOSES = GateFailure("silver/immunizations", "silver__immunizations", "dates before 2020")


def _build(settings, cases: int, immunity: int) -> None:
    """A build warehouse with two marts and a seed, as dbt leaves it."""
    settings.build_warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.build_warehouse)) as connection:
        for schema in ("marts", "reference"):
            connection.execute(f"create schema if not exists {schema}")
        connection.execute(f"create or replace table {CASES} as select {cases} as new_cases")
        connection.execute(f"create or replace table {IMMUNITY} as select {immunity} as vaccinated")
        connection.execute("create or replace table reference.okrugs as select 'CAO' as okrug")


def _served(settings, relation: str) -> int:
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        return connection.execute(f"select * from {relation}").fetchone()[0]


def test_a_held_mart_keeps_its_last_published_version_until_a_clean_run(settings):
    _build(settings, cases=10, immunity=100)
    publish(settings, [CASES, IMMUNITY], {}, date(2020, 4, 1))
    assert (_served(settings, CASES), _served(settings, IMMUNITY)) == (10, 100)

    _build(settings, cases=11, immunity=999)  # this run's immunity is built from bad doses
    statuses = publish(settings, [CASES, IMMUNITY], {IMMUNITY: [BAD_DOSES]}, date(2020, 4, 2))
    assert statuses[CASES].status == PUBLISHED and statuses[IMMUNITY].status == HELD
    assert (_served(settings, CASES), _served(settings, IMMUNITY)) == (11, 100)
    publish(settings, [CASES, IMMUNITY], {IMMUNITY: [BAD_DOSES]}, date(2020, 4, 3))
    held = held_now(settings.warehouse)[IMMUNITY]
    assert held.held_since == date(2020, 4, 2)  # the first run that held it back
    assert held.gate == "silver/immunizations:silver__immunizations"
    assert held.reason == "dates before 2020"
    assert held.published_at is not None  # the served version's publication

    _build(settings, cases=12, immunity=120)
    publish(settings, [CASES, IMMUNITY], {}, date(2020, 4, 4))
    assert (_served(settings, CASES), _served(settings, IMMUNITY)) == (12, 120)
    assert held_now(settings.warehouse) == {}
    assert _served(settings, "reference.okrugs") == "CAO"


def test_a_mart_never_published_and_held_is_absent_and_says_so(settings):
    _build(settings, cases=10, immunity=100)
    publish(settings, [CASES, IMMUNITY], {IMMUNITY: [BAD_DOSES]}, date(2020, 4, 1))
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        tables = {r[0] for r in connection.execute("show all tables").fetchall()}
    assert "fct_immunity_daily" not in tables
    assert read_statuses(settings.warehouse)[IMMUNITY].published_at is None


def test_a_mart_dbt_did_not_build_is_held_back(settings):
    _build(settings, cases=10, immunity=100)
    statuses = publish(settings, [CASES, "marts.fct_missing"], {}, date(2020, 4, 1))
    assert statuses["marts.fct_missing"].status == HELD
    assert "did not build" in statuses["marts.fct_missing"].reason


def test_an_open_reader_keeps_its_version_and_does_not_stop_publication(settings):
    _build(settings, cases=10, immunity=100)
    publish(settings, [CASES, IMMUNITY], {}, date(2020, 4, 1))
    with duckdb.connect(str(settings.warehouse), read_only=True) as reader:
        _build(settings, cases=11, immunity=110)
        publish(settings, [CASES, IMMUNITY], {}, date(2020, 4, 2))
        assert reader.execute(f"select new_cases from {CASES}").fetchone()[0] == 10
    assert _served(settings, CASES) == 11


def test_a_failure_holds_back_its_table_and_what_is_built_from_it_only():
    children = {
        "silver/immunizations": {"staging/stg_immunizations"},
        "staging/stg_immunizations": {"marts/fct_immunity_daily", "marts/dim_patients"},
        "silver/lab_results": {"marts/fct_cases_daily", "marts/dim_patients"},
    }
    held = held_back([BAD_DOSES], children)
    assert set(held) == {
        "silver/immunizations",
        "staging/stg_immunizations",
        "marts/fct_immunity_daily",
        "marts/dim_patients",
    }
    assert held["marts/dim_patients"] == [BAD_DOSES]
    bad_results = GateFailure("silver/lab_results", "silver__lab_results", "share unmatched")
    both = held_back([BAD_DOSES, bad_results], children)
    assert both["marts/dim_patients"] == [BAD_DOSES, bad_results]
    assert "marts/fct_cases_daily" not in held


def test_gate_failures_are_read_back_per_run(settings):
    assert gate_failures(settings, "run-1") == []
    record_gate_failures(settings, "run-1", [BAD_DOSES])
    record_gate_failures(settings, "run-2", [])
    assert gate_failures(settings, "run-1") == [BAD_DOSES]
    assert gate_failures(settings, "run-2") == []


@pytest.mark.parametrize("relation", [CASES, IMMUNITY])
def test_nothing_is_held_before_the_first_publication(settings, relation):
    assert read_statuses(settings.warehouse) == {}
    assert relation not in held_now(settings.warehouse)
