"""The silver lab gate: clean data passes, each kind of dirt fails the expectation meant for it.

A run's gates validate pandas frames (read with DuckDB, ``expectations.frames``), so the
kinds of dirt are bite-tested on pandas; the suite also runs on a Spark frame, checked by a
clean and a dirty validation (a Spark validation costs 10-15 s, a pandas one under 1 s).
"""

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from pyspark.sql import functions as F

from expectations.runner import validate_dataframe
from expectations.suites import silver__lab_results as silver_lab_results
from spark_jobs.lab import transforms
from tests.fhir import observation

NOW = datetime(2026, 11, 1, tzinfo=UTC)
DIRTY_ROW = "obs-3"


@pytest.fixture(scope="module")
def suite():
    return silver_lab_results.build_suite()


@pytest.fixture(scope="module")
def clean(landed):
    """Twelve conforming observations through the silver transform (a Spark frame)."""
    items = [
        observation(id=f"obs-{i}", subject={"reference": f"Patient/77000000{i:02d}"})
        for i in range(12)
    ]
    bronze = landed(items).withColumn("_ingested_at", F.lit(datetime(2026, 1, 1)))
    return transforms.to_silver_lab_results(bronze, "secret", NOW).localCheckpoint()


@pytest.fixture(scope="module")
def clean_rows(clean) -> pd.DataFrame:
    return clean.toPandas()


def test_clean_silver_passes_every_expectation(clean_rows, suite):
    outcome = validate_dataframe(clean_rows, suite)
    assert outcome.passed and outcome.failures == []
    assert outcome.evaluated == len(suite.expectations) and outcome.row_count == 12


def test_the_suite_passes_and_fails_on_a_spark_frame_as_on_pandas(clean, suite):
    outcome = validate_dataframe(clean, suite)
    assert outcome.passed and outcome.failures == []
    assert outcome.evaluated == len(suite.expectations) and outcome.row_count == 12
    dirty = clean.withColumn(
        "test_type",
        F.when(F.col("result_id") == DIRTY_ROW, "culture").otherwise(F.col("test_type")),
    )
    [failure] = validate_dataframe(dirty, suite).failures
    assert (failure.expectation, failure.column, failure.unexpected_count) == (
        "expect_column_values_to_be_in_set",
        "test_type",
        1,
    )


def _dirty(frame: pd.DataFrame, column: str, value) -> pd.DataFrame:
    dirty = frame.copy()
    if value is None:
        dirty[column] = dirty[column].astype(object)
    dirty.loc[dirty["result_id"] == DIRTY_ROW, column] = value
    return dirty


@pytest.mark.parametrize(
    ("column", "value", "expectation", "blocking"),
    [
        ("specimen_date", date(2015, 1, 1), "expect_column_values_to_be_between", True),
        ("patient_key", "7700000003", "expect_column_values_to_match_regex", True),
        ("test_type", "culture", "expect_column_values_to_be_in_set", True),
        ("result_value", -5.0, "expect_column_values_to_be_between", True),
        (
            "issued_at",
            datetime(2019, 1, 1),
            "expect_column_pair_values_a_to_be_greater_than_b",
            True,
        ),
        ("lab_id", None, "expect_column_values_to_not_be_null", False),
    ],
)
def test_each_kind_of_dirt_fails_its_expectation(
    clean_rows, suite, column, value, expectation, blocking
):
    outcome = validate_dataframe(_dirty(clean_rows, column, value), suite)
    failed = {(f.expectation, f.column) for f in outcome.failures}
    assert (expectation, column) in failed
    assert len(outcome.failures) == 1, [f.describe() for f in outcome.failures]
    assert outcome.passed is not blocking
    [failure] = outcome.failures
    assert failure.unexpected_count == 1
    assert "1 rows" in failure.describe()


def test_duplicate_result_ids_fail_uniqueness(clean_rows, suite):
    outcome = validate_dataframe(pd.concat([clean_rows, clean_rows.head(1)]), suite)
    assert ("expect_column_values_to_be_unique", "result_id") in {
        (f.expectation, f.column) for f in outcome.blocking_failures
    }


def test_an_identifier_column_in_silver_fails_the_schema_expectation(clean_rows, suite):
    outcome = validate_dataframe(clean_rows.assign(patient_id="7700000001"), suite)
    assert "expect_table_columns_to_match_set" in {f.expectation for f in outcome.blocking_failures}
