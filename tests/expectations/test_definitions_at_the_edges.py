"""The mart gates agree with the definitions they guard: rows at the edges of each definition,
as the marts compute them (the dbt unit tests hold the marts to the same edges), pass every
gate; a row past an edge the definition does not allow fails the expectation meant for it."""

from datetime import date

import pandas as pd
import pytest

from expectations.runner import validate_dataframe
from expectations.suites import marts


def _outcome(model: str, rows: list[dict]):
    return validate_dataframe(pd.DataFrame(rows), marts.build_suite(model))


def _journey(key: str, **figures) -> dict:
    return {"episode_key": key, "days_to_admission": None, "days_in_hospital": None, **figures}


# fct_patient_journeys: the stay window (an episode from 14 days before the admission to 2
# days after it), a stay still open, no stay at all.
JOURNEYS_AT_THE_EDGES = [
    _journey("admitted-2-days-before-the-test", days_to_admission=-2, days_in_hospital=5),
    _journey("admitted-on-the-day", days_to_admission=0, days_in_hospital=0),
    _journey("admitted-14-days-after", days_to_admission=14, days_in_hospital=30),
    _journey("still-in-hospital", days_to_admission=3),
    _journey("never-admitted"),
]


def test_journeys_at_the_edges_of_the_stay_window_pass_the_gate():
    outcome = _outcome("fct_patient_journeys", JOURNEYS_AT_THE_EDGES)
    assert outcome.passed, [f.describe() for f in outcome.failures]


@pytest.mark.parametrize("days_to_admission", [-3, 15])
def test_a_journey_past_the_stay_window_fails_the_gate(days_to_admission):
    rows = [*JOURNEYS_AT_THE_EDGES, _journey("outside", days_to_admission=days_to_admission)]
    outcome = _outcome("fct_patient_journeys", rows)
    assert [f.column for f in outcome.blocking_failures] == ["days_to_admission"]


def _tracing(okrug: str, index_cases: int, contacts: int, per_case, pct) -> dict:
    return {
        "date": date(2020, 5, 1),
        "okrug": okrug,
        "index_cases": index_cases,
        "contacts": contacts,
        "contacts_per_case": per_case,
        "contacts_notified_within_24h_pct": pct,
        "contacts_tested_pct": pct,
        "cases_previously_named_as_contacts_pct": pct,
    }


def test_tracing_with_zero_and_one_contacts_passes_the_gate():
    rows = [
        _tracing("CAO", index_cases=1, contacts=0, per_case=0.0, pct=None),  # no contact named
        _tracing("SAO", index_cases=1, contacts=1, per_case=1.0, pct=100.0),
        _tracing("VAO", index_cases=0, contacts=0, per_case=None, pct=None),  # a quiet day
    ]
    outcome = _outcome("fct_tracing_daily", rows)
    assert outcome.passed, [f.describe() for f in outcome.failures]


def test_hospital_days_with_deaths_on_day_28_pass_the_gate():
    row = {
        "date": date(2020, 5, 29),
        "okrug": "CAO",
        "admissions": 0,
        "occupied_beds": 1,  # a stay still open
        "icu_occupied": 0,
        "discharges": 0,
        "deaths_28d": 1,  # died on day 28 of the episode (int_deaths' unit test)
        "ambulance_callouts": 0,
    }
    outcome = _outcome("fct_hospital_daily", [row])
    assert outcome.passed, [f.describe() for f in outcome.failures]
