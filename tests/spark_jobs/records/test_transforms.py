"""Records feed transforms: each resource's rules, silver typing, versions and retractions."""

from datetime import date, datetime

import pytest
from pyspark.sql import functions as F

from epilake.privacy import pseudonymise
from spark_jobs.records import transforms
from spark_jobs.records.transforms import BY_TYPE
from tests.conftest import FIXED_NOW, TEST_SECRET
from tests.fhir import record


def _rules(landed, resource_type, items):
    frame = transforms.validate(landed(items), BY_TYPE[resource_type], FIXED_NOW)
    return [(r["rule"], r["reason"]) for r in frame.orderBy("_line").collect()]


# Each rule and a part of the reason it names, per resource type.
RULE_CASES = [
    ("Encounter", {"class": {"code": "XX"}}, "unknown_code", "encounter class"),
    (
        "Encounter",
        {"period": {"start": "2020-04-05T10:00:00+03:00", "end": "2020-04-01T10:00:00+03:00"}},
        "end_before_start",
        "before period.start",
    ),
    ("Encounter", {"period": {"start": "soon"}}, "invalid_period", "soon"),
    ("Encounter", {"status": "imaginary"}, "unknown_status", "imaginary"),
    ("Condition", {"code": {"coding": []}}, "unknown_code", "no ICD-10 code"),
    ("Condition", {"onsetDateTime": "2099-01-01"}, "in_future", "2099-01-01"),
    ("Observation", {"valueQuantity": None}, "missing_value", "valueQuantity"),
    (
        "Observation",
        {"code": {"coding": [{"system": "http://loinc.org", "code": "1234-5"}]}},
        "unknown_code",
        "1234-5",
    ),
    (
        "DiagnosticReport",
        {"conclusionCode": [{"coding": [{"system": "urn:epilake:ct-severity", "code": "CT-9"}]}]},
        "unknown_code",
        "CT-9",
    ),
    (
        "Immunization",
        {"protocolApplied": [{"doseNumberPositiveInt": 0}]},
        "invalid_dose_number",
        "0",
    ),
    ("Immunization", {"subject": None}, "missing_subject", "subject"),
    ("Immunization", {"resourceType": "Encounter"}, "wrong_resource_type", "Encounter"),
    ("Condition", {"meta": {"lastUpdated": "yesterday"}}, "invalid_last_updated", "yesterday"),
    # What the world allows (spark_jobs/common/plausibility.py).
    (
        "Immunization",
        {"occurrenceDateTime": "2019-11-20T11:00:00+03:00"},
        "before_vaccines",
        "2019-11-20 is before 2020-03-01",
    ),
    (
        "Encounter",
        {"period": {"start": "1890-04-01T10:00:00+03:00", "end": "1890-04-05T12:00:00+03:00"}},
        "before_records",
        "1890-04-01 is before 1900-01-01",
    ),
    ("Condition", {"onsetDateTime": "1850-01-01T10:00:00+03:00"}, "before_records", "1850"),
    ("Observation", {"valueQuantity": {"value": 30, "unit": "%"}}, "outside_physiology", "30"),
    (
        "Observation",
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
            "valueQuantity": {"value": 98.6, "unit": "Cel"},
        },
        "outside_physiology",
        "8310-5",
    ),
]


@pytest.mark.parametrize(
    ("resource_type", "changes"),
    [
        # A patient's history: a stay and a diagnosis from 2010 are ordinary records.
        ("Encounter", {"period": {"start": "2010-05-01T10:00:00+03:00", "end": None}}),
        ("Condition", {"onsetDateTime": "2010-05-01T10:00:00+03:00"}),
        # A trial volunteer's dose before the mass campaign of December 2020.
        ("Immunization", {"occurrenceDateTime": "2020-07-01T11:00:00+03:00"}),
    ],
)
def test_history_and_trial_doses_meet_the_contract(landed, resource_type, changes):
    resource = record(resource_type, **changes)
    if resource_type == "Encounter":
        resource["period"] = {"start": changes["period"]["start"]}
    assert _rules(landed, resource_type, [resource]) == [(None, None)]


@pytest.fixture(scope="module")
def rules_by_type(landed) -> dict[str, list[tuple]]:
    """Per resource type, one frame: a valid resource (line 1), then that type's cases in
    order; one Spark job per type checks them all."""
    return {
        kind: _rules(
            landed,
            kind,
            [
                record(kind),
                *(record(kind, **changes) for t, changes, *_ in RULE_CASES if t == kind),
            ],
        )
        for kind in BY_TYPE
    }


@pytest.mark.parametrize("resource_type", list(BY_TYPE))
def test_valid_resources_meet_the_contract(rules_by_type, resource_type):
    assert rules_by_type[resource_type][0] == (None, None)


@pytest.mark.parametrize(
    ("resource_type", "case", "rule", "reason_part"),
    [
        (kind, sum(t == kind for t, *_ in RULE_CASES[:index]), rule, reason)
        for index, (kind, _, rule, reason) in enumerate(RULE_CASES)
    ],
)
def test_each_rule_names_the_fault(rules_by_type, resource_type, case, rule, reason_part):
    found, reason = rules_by_type[resource_type][1 + case]
    assert found == rule
    assert reason_part in reason


def test_malformed_line_is_quarantined_with_the_rest_loading(landed):
    rows = _rules(landed, "Encounter", [record("Encounter"), '{"resourceType": "Enc', ""])
    assert [r for r, _ in rows] == [None, "json_malformed", "empty_line"]


def _silver(landed, resource_type, items):
    bronze = landed(items, source="records/2020-04-05/r1.X.ndjson", delivery=date(2020, 4, 5))
    bronze = bronze.withColumn("_ingested_at", F.lit(datetime(2026, 1, 1)))
    frame = transforms.to_silver(bronze, BY_TYPE[resource_type], TEST_SECRET, FIXED_NOW)
    assert frame.schema.fieldNames() == BY_TYPE[resource_type].silver_schema.fieldNames()
    return frame.collect()


def test_encounter_silver_is_typed_local_dated_and_pseudonymised(landed):
    icu = record(
        "Encounter",
        type=[
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "ICU"}
                ]
            }
        ],
        period={"start": "2020-04-01T22:30:00+00:00", "end": "2020-04-05T12:00:00+03:00"},
    )
    [row] = _silver(landed, "Encounter", [icu])
    assert row["patient_key"] == pseudonymise("7700000001", TEST_SECRET)
    assert (row["class_code"], row["is_icu"], row["discharge_disposition"]) == ("IMP", True, "home")
    assert row["start_date"] == date(2020, 4, 2)  # 01:30 on 2 April in Moscow
    assert "7700000001" not in str(row.asDict().values())


def test_latest_version_wins_whatever_the_line_order(landed):
    newer = record(
        "Encounter", status="finished", meta={"lastUpdated": "2020-04-05T12:00:00+03:00"}
    )
    older = record(
        "Encounter", status="in-progress", meta={"lastUpdated": "2020-04-01T10:00:00+03:00"}
    )
    older.pop("hospitalization")
    older["period"] = {"start": "2020-04-01T10:00:00+03:00"}
    [row] = _silver(landed, "Encounter", [newer, older])
    assert (row["status"], row["ended_at"] is not None) == ("finished", True)


def test_retracted_condition_stays_as_a_tombstone(landed):
    retracted = record(
        "Condition",
        verificationStatus={"coding": [{"code": "entered-in-error"}]},
        meta={"lastUpdated": "2020-04-06T12:00:00+03:00"},
    )
    [row] = _silver(landed, "Condition", [record("Condition"), retracted])
    assert row["is_retracted"] is True


def test_vital_signs_ct_and_immunizations_carry_their_values(landed):
    [vital] = _silver(landed, "Observation", [record("Observation")])
    assert (vital["vital_sign"], vital["value"], vital["encounter_id"]) == ("spo2", 93.0, "enc-2")
    [ct] = _silver(landed, "DiagnosticReport", [record("DiagnosticReport")])
    assert (ct["ct_code"], ct["ct_grade"]) == ("CT-3", 3)
    [shot] = _silver(landed, "Immunization", [record("Immunization")])
    assert (shot["vaccine_code"], shot["dose_number"], shot["occurred_date"]) == (
        "sputnik-v",
        1,
        date(2021, 2, 1),
    )
