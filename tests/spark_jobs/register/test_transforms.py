"""Register transforms: CSV rules, and the SCD2 history (change, delete, order, duplicates)."""

from datetime import date, datetime

import pytest
from pyspark.sql import functions as F

from epilake.privacy import pseudonymise
from spark_jobs.register import codes, transforms
from tests.conftest import FIXED_NOW, TEST_SECRET
from tests.register import BASE, row


def _validated(landed, lines):
    frame = transforms.validate_events(transforms.parse_events(landed(lines)), FIXED_NOW)
    return [(r["rule"], r["reason"]) for r in frame.orderBy("_line").collect()]


def test_a_contract_row_passes_and_its_quoted_comma_is_one_field(landed):
    assert "," in BASE["address"]
    assert _validated(landed, [row()]) == [(None, None)]


@pytest.mark.parametrize(
    ("line", "rule", "reason_part"),
    [
        (row(okrug="XAO"), "unknown_okrug", "XAO"),
        (row(birth_date="1993-02-30"), "invalid_birth_date", "1993-02-30"),
        (row(birth_date="2099-01-01"), "invalid_birth_date", "2099-01-01"),
        (row(birth_date="1890-03-01"), "implausible_birth_date", "1890-03-01"),
        (row(patient_id="77-01"), "invalid_patient_id", "77-01"),
        (row(event_time="yesterday"), "invalid_event_time", "yesterday"),
        (row(op="merge"), "unknown_op", "merge"),
        (row(sex="m"), "unknown_sex", "m"),
        (row(covid_status="ill"), "unknown_covid_status", "ill"),
        (row(status_since="soon"), "invalid_status_since", "soon"),
        (row() + ",extra", "wrong_column_count", "18 columns"),
        ("evt-9,2020-04-01T10:00:00+03:00,upsert", "wrong_column_count", "3 columns"),
    ],
)
def test_each_rule_names_the_fault(landed, line, rule, reason_part):
    [(found, reason)] = _validated(landed, [line])
    assert found == rule
    assert reason_part in reason


def test_a_delete_needs_only_the_patient(landed):
    delete = "evt-2,2020-04-02T10:00:00+03:00,delete,7700000001" + "," * 13
    assert _validated(landed, [delete]) == [(None, None)]


def test_a_repeated_event_id_is_skipped_and_points_at_the_first(landed):
    rows = _validated(landed, [row(), row(), row(event_id="evt-2")])
    assert [r for r, _ in rows] == [None, "duplicate_event_skipped", None]
    assert "line 1" in rows[1][1]


def _bronze(spark, deliveries):
    """deliveries: [(delivery_date, [csv lines])] -> bronze-like rows."""
    rows = [
        (day, "b", f"register/{day}/b{i}.csv", n, line)
        for i, (day, lines) in enumerate(deliveries)
        for n, line in enumerate(lines, start=2)
    ]
    frame = spark.createDataFrame(
        rows, "_delivery_date date, _batch_id string, _source_file string, _line int, raw string"
    )
    return frame.withColumn("_ingested_at", F.lit(datetime(2026, 1, 1)))


def _history(spark, deliveries):
    frame = transforms.to_patient_history(_bronze(spark, deliveries), TEST_SECRET)
    return [r.asDict() for r in frame.orderBy("valid_from").collect()]


MOVE = row(event_id="evt-2", event_time="2020-04-10T10:00:00+03:00", okrug="SAO")
DELETE = "evt-3,2020-04-20T10:00:00+03:00,delete,7700000001" + "," * 13


def test_a_change_closes_the_old_version_and_opens_a_new_one(spark):
    first, second = _history(spark, [(date(2020, 4, 1), [row()]), (date(2020, 4, 10), [MOVE])])
    assert (first["okrug"], second["okrug"]) == ("ZAO", "SAO")
    assert first["valid_to"] == second["valid_from"] == datetime(2020, 4, 10, 7, 0)
    assert (first["is_current"], second["is_current"]) == (False, True)
    assert second["valid_to"] is None
    assert first["patient_key"] == pseudonymise("7700000001", TEST_SECRET)
    # Year and month of birth (1960-05-20): no day of birth past bronze, no age band in
    # silver (the marts band by the age on the date concerned).
    assert (first["birth_year"], first["birth_month"]) == (1960, 5)
    assert "age_band" not in first and "birth_date" not in first


def test_a_delete_closes_the_last_version_and_opens_none(spark):
    history = _history(spark, [(date(2020, 4, 1), [row(), MOVE]), (date(2020, 4, 20), [DELETE])])
    assert len(history) == 2
    assert history[-1]["is_current"] is False
    assert history[-1]["closed_by_delete"] is True
    assert history[-1]["valid_to_date"] == date(2020, 4, 20)


def test_late_events_land_in_time_order_and_duplicates_count_once(spark):
    in_order = _history(spark, [(date(2020, 4, 1), [row()]), (date(2020, 4, 10), [MOVE])])
    late = _history(
        spark,
        [(date(2020, 4, 10), [MOVE]), (date(2020, 4, 12), [row()]), (date(2020, 4, 13), [MOVE])],
    )
    business = [c for c in in_order[0] if not c.startswith("_")]
    assert [{c: r[c] for c in business} for r in late] == [
        {c: r[c] for c in business} for r in in_order
    ]


def test_history_carries_no_direct_identifier(spark):
    history = _history(spark, [(date(2020, 4, 1), [row()])])
    text = str(history)
    for column in codes.DIRECT_IDENTIFIERS:
        assert BASE[column] not in text, column
    assert BASE["patient_id"] not in text
