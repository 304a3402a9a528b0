"""Tracing transforms: contact rules, latest update wins, names and phones never reach silver."""

from datetime import date, datetime

import pytest
from pyspark.sql import functions as F

from epilake.privacy import pseudonymise
from spark_jobs.tracing import transforms
from spark_jobs.tracing.schemas import SILVER_CONTACTS
from tests.conftest import FIXED_NOW, TEST_SECRET

BASE = {
    "contact_id": "con-1",
    "investigation_id": "inv-1",
    "index_patient_id": "7700000204",
    "contact_patient_id": "7700002608",
    "contact_name": "Sergey Petrov",
    "contact_phone": "+79001429950",
    "setting": "household",
    "exposure_date": "2020-04-06",
    "identified_at": "2020-04-08T06:30:00+03:00",
    "notified_at": "2020-04-08T10:34:00+03:00",
    "quarantine_start": "2020-04-08",
    "quarantine_end": "2020-04-20",
    "test_result": "not_tested",
    "outcome": "in_progress",
    "updated_at": "2020-04-08T10:34:00+03:00",
}


def contact(**changes) -> dict:
    return {**BASE, **changes}


def _rules(landed, items):
    frame = transforms.validate_contacts(transforms.parse_contacts(landed(items)), FIXED_NOW)
    return [(r["rule"], r["reason"]) for r in frame.orderBy("_line").collect()]


def test_a_contract_contact_passes_with_or_without_optional_fields(landed):
    unregistered = contact(contact_patient_id=None, notified_at=None, contact_name=None)
    assert _rules(landed, [contact(), unregistered]) == [(None, None), (None, None)]


# Each rule and a part of the reason it names; validated together in one frame (one Spark
# job), after a contract contact on line 1.
RULE_CASES = [
    ({"setting": "cinema-club"}, "unknown_setting", "cinema-club"),
    ({"contact_id": None}, "missing_field", "contact_id"),
    ({"index_patient_id": "P-1"}, "invalid_patient_id", "P-1"),
    ({"exposure_date": "06.04.2020"}, "invalid_date", "06.04.2020"),
    ({"notified_at": "later"}, "invalid_date", "later"),
    ({"test_result": "maybe"}, "unknown_test_result", "maybe"),
    ({"outcome": "gone"}, "unknown_outcome", "gone"),
    ({"identified_at": "2099-01-01T00:00:00Z"}, "in_future", "2099"),
]


@pytest.fixture(scope="module")
def rule_rows(landed) -> list[tuple]:
    return _rules(landed, [contact(), *(contact(**changes) for changes, _, _ in RULE_CASES)])


@pytest.mark.parametrize(
    ("line", "rule", "reason_part"),
    [(line, rule, reason) for line, (_, rule, reason) in enumerate(RULE_CASES, start=2)],
)
def test_each_rule_names_the_fault(rule_rows, line, rule, reason_part):
    assert rule_rows[0] == (None, None)
    found, reason = rule_rows[line - 1]
    assert found == rule
    assert reason_part in reason


def test_a_line_that_is_not_json_is_quarantined(landed):
    assert _rules(landed, ["not json"])[0][0] == "json_malformed"


def _silver(landed, items):
    bronze = landed(items, source="tracing/2020-04-20/t1.jsonl", delivery=date(2020, 4, 20))
    bronze = bronze.withColumn("_ingested_at", F.lit(datetime(2026, 1, 1)))
    frame = transforms.to_silver_contacts(bronze, TEST_SECRET, FIXED_NOW)
    assert frame.schema.fieldNames() == SILVER_CONTACTS.fieldNames()
    return frame.collect()


def test_latest_update_wins_and_identifiers_are_dropped(landed):
    final = contact(
        outcome="became_case", test_result="positive", updated_at="2020-04-20T10:00:00+03:00"
    )
    [row] = _silver(landed, [final, contact()])
    assert (row["outcome"], row["test_result"]) == ("became_case", "positive")
    assert row["index_patient_key"] == pseudonymise("7700000204", TEST_SECRET)
    text = str(row.asDict())
    for value in ("Sergey Petrov", "+79001429950", "7700000204", "7700002608"):
        assert value not in text


def test_a_contact_without_a_patient_id_has_no_key(landed):
    [row] = _silver(landed, [contact(contact_patient_id=None)])
    assert row["contact_patient_key"] is None
