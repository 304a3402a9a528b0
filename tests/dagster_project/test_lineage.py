"""The graph a hold spreads along, from the feeds' steps and dbt's real manifest."""

import pytest

from dagster_project.defs.publication.lineage import children
from epilake.publication import GateFailure, held_back


def _held_marts(asset: str) -> set[str]:
    held = held_back([GateFailure(asset, "gate", "reason")], children())
    return {key for key in held if key.split("/")[0] in ("marts", "extracts")}


def test_bad_vaccination_records_hold_back_only_what_reads_them():
    held = _held_marts("silver/immunizations")
    assert "marts/fct_immunity_daily" in held
    assert "marts/fct_cases_daily" not in held
    assert "marts/fct_tests_daily" not in held
    assert "marts/fct_hospital_daily" not in held


def test_a_failed_mart_holds_back_itself_and_the_marts_built_from_it():
    assert _held_marts("marts/fct_patient_journeys") == {"marts/fct_patient_journeys"}
    assert _held_marts("marts/fct_tests_daily") == {
        "marts/fct_tests_daily",
        "marts/fct_tests_daily_city",
    }


def test_a_feed_wide_failure_reaches_every_silver_table_of_the_feed():
    held = held_back([GateFailure("quarantine/records", "g", "r")], children())
    assert {"silver/encounters", "silver/immunizations", "silver/vital_signs"} <= set(held)
    assert "silver/lab_results" not in held


@pytest.mark.parametrize(
    "bookkeeping",
    [
        "intermediate/int_patient_changes",
        "intermediate/int_calendar",
        "staging/stg_register__awaiting_rows",
    ],
)
def test_bookkeeping_models_do_not_carry_a_hold(bookkeeping):
    every_key = set(children()) | {kid for kids in children().values() for kid in kids}
    assert bookkeeping not in every_key
