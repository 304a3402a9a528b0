from datetime import UTC, date, datetime

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from epilake.privacy import pseudonymise
from spark_jobs.lab import transforms
from spark_jobs.lab.schemas import SILVER_LAB_RESULTS
from tests.fhir import observation

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SECRET = "unit-secret"


def _validate(landed, items):
    frame = transforms.validate_observations(transforms.parse_observations(landed(items)), NOW)
    return frame.orderBy("_line").select("_line", "rule", "reason").collect()


# Each quarantine rule and the reason it names; validated together in one frame, after one
# conforming observation (line 1), so one Spark job checks them all.
CONTRACT_CASES = [
    ('{"resourceType": "Observation", "id": ', "json_malformed", "not a JSON object"),
    ("[1, 2]", "json_malformed", "not a JSON object"),
    ("   ", "empty_line", "empty line"),
    (observation(valueQuantity={"value": "high"}), "json_type_mismatch", "wrong JSON type"),
    (observation(resourceType="Patient"), "wrong_resource_type", "resourceType is Patient"),
    (observation(id=None), "missing_id", "id is missing"),
    (observation(meta={"lastUpdated": "yesterday"}), "invalid_last_updated", "yesterday"),
    (observation(status="done"), "unknown_status", "unknown status done"),
    (
        observation(code={"coding": [{"system": "http://loinc.org", "code": "1234-5"}]}),
        "unknown_loinc",
        "unknown LOINC 1234-5",
    ),
    (
        observation(code={"coding": [{"system": "urn:local", "code": "PCR"}]}),
        "unknown_loinc",
        "no LOINC coding",
    ),
    (observation(subject=None), "missing_subject", "subject is missing"),
    (observation(subject={"reference": "Patient/abc"}), "invalid_subject", "Patient/abc"),
    (
        observation(effectiveDateTime="2020-04-01T10:00:00"),
        "invalid_effective_datetime",
        "not a FHIR dateTime",
    ),
    (
        observation(effectiveDateTime="2020-13-01T10:00:00Z"),
        "invalid_effective_datetime",
        "2020-13-01",
    ),
    (observation(issued=None), "invalid_issued", "issued is missing"),
    (
        observation(
            effectiveDateTime="2099-01-01T10:00:00+03:00", issued="2099-01-02T10:00:00+03:00"
        ),
        "collected_in_future",
        "2099-01-01",
    ),
    (
        observation(effectiveDateTime="2020-04-03T10:00:00+03:00"),
        "collected_after_issued",
        "after issued",
    ),
    (observation(valueCodeableConcept=None), "missing_value", "status final but neither"),
    (
        observation(
            valueCodeableConcept={"coding": [{"system": "http://snomed.info/sct", "code": "999"}]}
        ),
        "unknown_result_code",
        "unknown SNOMED CT result 999",
    ),
    # What the world allows: no SARS-CoV-2 test before the virus, no IgG beyond any assay.
    (
        observation(
            effectiveDateTime="2015-04-01T10:00:00+03:00", issued="2015-04-02T10:00:00+03:00"
        ),
        "before_pandemic",
        "2015-04-01 is before 2019-12-01",
    ),
    (
        observation(
            code={"coding": [{"system": "http://loinc.org", "code": "94563-4"}]},
            valueCodeableConcept=None,
            valueQuantity={"value": 2500000, "unit": "[BAU]/mL"},
        ),
        "implausible_value",
        "outside 0..100000",
    ),
]


@pytest.fixture(scope="module")
def contract_rows(landed):
    rows = _validate(landed, [observation(), *(item for item, _, _ in CONTRACT_CASES)])
    return {row["_line"]: row for row in rows}


def test_a_conforming_observation_passes(contract_rows):
    row = contract_rows[1]
    assert row["rule"] is None and row["reason"] is None


@pytest.mark.parametrize(
    ("line", "rule", "reason"),
    [(line, rule, reason) for line, (_, rule, reason) in enumerate(CONTRACT_CASES, start=2)],
)
def test_each_contract_rule_names_a_specific_reason(contract_rows, line, rule, reason):
    row = contract_rows[line]
    assert row["rule"] == rule
    assert reason in row["reason"]


def test_results_without_a_value_are_fine_before_they_are_final(landed):
    rows = _validate(
        landed,
        [
            observation(status="registered", valueCodeableConcept=None),
            observation(status="entered-in-error", valueCodeableConcept=None),
        ],
    )
    assert [r["rule"] for r in rows] == [None, None]


def test_bronze_and_quarantine_split_every_line(landed):
    validated = transforms.validate_observations(
        transforms.parse_observations(landed([observation(), "{bad", observation(subject=None)])),
        NOW,
    )
    moment = datetime(2026, 1, 1)
    bronze = transforms.to_bronze(validated, moment)
    quarantine = transforms.to_quarantine(validated, moment)
    assert bronze.count() + quarantine.count() == 3
    assert [r["_line"] for r in bronze.collect()] == [1]
    assert sorted(r["rule"] for r in quarantine.collect()) == ["json_malformed", "missing_subject"]
    assert {r["raw"] for r in quarantine.collect()} >= {"{bad"}


def _bronze(landed, items, source="lab/2020-04-02/b1.ndjson", delivery=date(2020, 4, 2)):
    return landed(items, source=source, delivery=delivery).withColumn(
        "_ingested_at", F.lit(datetime(2026, 1, 1))
    )


def _silver(landed, items, **kwargs):
    frame = transforms.to_silver_lab_results(_bronze(landed, items, **kwargs), SECRET, NOW)
    return {r["result_id"]: r for r in frame.collect()}


def test_silver_is_typed_pseudonymised_and_local_dated(landed):
    late_evening = observation(
        effectiveDateTime="2020-04-01T22:30:00Z", issued="2020-04-02T08:00:00Z"
    )
    row = _silver(landed, [late_evening])["obs-1"]
    assert row["patient_key"] == pseudonymise("7700000001", SECRET, "patient")
    assert row["accession_key"] == pseudonymise("ACC000000001", SECRET, "accession")
    assert row["specimen_date"] == date(2020, 4, 2)  # 01:30 on 2 April in Moscow
    assert row["collected_at"] == datetime(2020, 4, 1, 22, 30)
    assert (row["test_type"], row["is_positive"], row["lab_id"]) == ("pcr", True, "lab-central")
    assert "7700000001" not in str(row.asDict().values())


def test_silver_schema_is_the_declared_one(landed):
    frame = transforms.to_silver_lab_results(_bronze(landed, [observation()]), SECRET, NOW)
    assert [f.name for f in frame.schema] == [f.name for f in SILVER_LAB_RESULTS]


def test_latest_version_wins_whatever_the_order_of_lines(landed):
    amended = observation(
        status="amended",
        meta={"lastUpdated": "2020-04-03T09:00:00+03:00"},
        valueCodeableConcept={
            "coding": [{"system": "http://snomed.info/sct", "code": "260415000"}]
        },
    )
    row = _silver(landed, [amended, observation()])["obs-1"]
    assert row["status"] == "amended" and row["is_positive"] is False


def test_retraction_is_kept_as_a_tombstone(landed):
    retracted = observation(
        status="entered-in-error",
        valueCodeableConcept=None,
        meta={"lastUpdated": "2020-04-04T09:00:00+03:00"},
    )
    row = _silver(landed, [observation(), retracted])["obs-1"]
    assert row["is_retracted"] is True and row["status"] == "entered-in-error"


def test_equal_versions_go_to_the_later_line(landed):
    twin = observation(
        valueCodeableConcept={"coding": [{"system": "http://snomed.info/sct", "code": "260415000"}]}
    )
    row = _silver(landed, [observation(), twin])["obs-1"]
    assert row["_line"] == 2 and row["is_positive"] is False


@pytest.mark.parametrize(
    ("value", "positive"),
    [(33.8, True), (33.7, False), (250.0, True)],
)
def test_quantitative_igg_is_positive_from_33_8_bau(landed, value, positive):
    igg = observation(
        code={"coding": [{"system": "http://loinc.org", "code": "94505-5"}]},
        valueCodeableConcept=None,
        valueQuantity={"value": value, "unit": "BAU/mL"},
    )
    row = _silver(landed, [igg])["obs-1"]
    assert (row["test_type"], row["is_positive"]) == ("antibody", positive)


def test_latest_versions_keeps_one_row_per_key(spark):
    rows = [
        ("a", 1, date(2020, 1, 1), "f1", 1),
        ("a", 3, date(2020, 1, 1), "f1", 2),
        ("a", 2, date(2020, 1, 2), "f2", 1),
        ("b", 1, date(2020, 1, 1), "f1", 3),
    ]
    frame = spark.createDataFrame(
        rows, "key string, version int, _delivery_date date, _source_file string, _line int"
    )
    expected = spark.createDataFrame(
        [("a", 3, date(2020, 1, 1), "f1", 2), ("b", 1, date(2020, 1, 1), "f1", 3)], frame.schema
    )
    assertDataFrameEqual(transforms.latest_versions(frame, "key", "version"), expected)
