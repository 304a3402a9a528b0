"""Pure transforms of the e-medical records feed, one ``Resource`` description per FHIR type.

landing lines -> validated (envelope, subject, then the resource's own rules) -> bronze | quarantine
bronze rows   -> silver table of the resource (typed, pseudonymised, latest version per id)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from epilake.privacy import pseudonymise_col
from spark_jobs.common import fhir, plausibility, rules
from spark_jobs.common.silver import latest_versions
from spark_jobs.lab.codes import RESULT_STATUSES, STATUSES
from spark_jobs.records import codes, schemas


def _res() -> Column:
    """The parsed record column (a function: columns need a live session)."""
    return F.col("res")


@dataclass(frozen=True)
class Resource:
    """What the pipeline knows about one resource type of the records feed."""

    resource_type: str
    entity: str  # bronze table: bronze/records/<entity>
    table: str  # silver table: silver/<table>
    schema: T.StructType
    silver_schema: T.StructType
    id_column: str
    typed: Callable[[Column], dict[str, Column]]  # typed fields the rules and silver use
    rules: Callable[[Column, Column], list[rules.Rule]]  # (resource, now) -> content rules
    silver: Callable[[Column], dict[str, Column]]  # silver business columns
    retracted: Callable[[Column], Column] = lambda res: res["status"] == codes.RETRACTED


def _code_rule(column: str, allowed: tuple[str, ...] | list[str], what: str) -> rules.Rule:
    value = F.col(column)
    return (
        "unknown_code",
        value.isNull() | ~value.isin(*allowed),
        F.when(value.isNull(), F.lit(f"no {what} code")).otherwise(
            F.concat(F.lit(f"unknown {what} code "), value)
        ),
    )


def _status_rule(res: Column, allowed: tuple[str, ...]) -> rules.Rule:
    status = res["status"]
    return (
        "unknown_status",
        status.isNotNull() & ~status.isin(*allowed),
        F.concat(F.lit("unknown status "), status),
    )


def _first_coding(concept: Column) -> Column:
    return F.get(concept["coding"], 0)["code"]


def _encounter_id(res: Column) -> Column:
    return fhir.referenced_id(res["encounter"]["reference"], "Encounter")


# -- the five resources ---------------------------------------------------------------------

ENCOUNTER = Resource(
    resource_type="Encounter",
    entity="encounters",
    table="encounters",
    schema=schemas.ENCOUNTER,
    silver_schema=schemas.SILVER_ENCOUNTERS,
    id_column="encounter_id",
    typed=lambda res: {
        "class_code": res["class"]["code"],
        "started_at": fhir.parse_timestamp(res["period"]["start"]),
        "ended_at": fhir.parse_timestamp(res["period"]["end"]),
    },
    rules=lambda res, now: [
        _status_rule(res, codes.ENCOUNTER_STATUSES),
        *fhir.subject_rules(res),
        _code_rule("class_code", codes.ENCOUNTER_CLASSES, "encounter class (v3 ActCode)"),
        fhir.datetime_rule("invalid_period", res["period"], "start", F.col("started_at")),
        fhir.datetime_rule(
            "invalid_period", res["period"], "end", F.col("ended_at"), required=False
        ),
        fhir.future_rule("in_future", res["period"], "start", F.col("started_at"), now),
        plausibility.before("before_records", "period.start", F.col("started_at")),
        (
            "end_before_start",
            F.col("ended_at") < F.col("started_at"),
            F.concat(
                F.lit("period.end "),
                res["period"]["end"],
                F.lit(" before period.start "),
                res["period"]["start"],
            ),
        ),
    ],
    silver=lambda res: {
        "class_code": F.col("class_code"),
        "is_icu": F.coalesce(
            F.exists(
                res["type"],
                lambda concept: F.exists(
                    concept["coding"],
                    lambda c: (
                        (c["system"] == codes.ROLE_CODE_SYSTEM) & (c["code"] == codes.ICU_TYPE)
                    ),
                ),
            ),
            F.lit(False),
        ),
        "started_at": F.col("started_at"),
        "ended_at": F.col("ended_at"),
        "start_date": fhir.local_date(F.col("started_at")),
        "end_date": fhir.local_date(F.col("ended_at")),
        "discharge_disposition": _first_coding(res["hospitalization"]["dischargeDisposition"]),
    },
)

CONDITION = Resource(
    resource_type="Condition",
    entity="conditions",
    table="conditions",
    schema=schemas.CONDITION,
    silver_schema=schemas.SILVER_CONDITIONS,
    id_column="condition_id",
    typed=lambda res: {
        "icd10_code": fhir.first_code(res["code"], codes.ICD10_SYSTEM),
        "onset_at": fhir.parse_timestamp(res["onsetDateTime"]),
        "recorded_at": fhir.parse_timestamp(res["recordedDate"]),
    },
    rules=lambda res, now: [
        *fhir.subject_rules(res),
        _code_rule("icd10_code", codes.CONDITION_CODES, "ICD-10"),
        fhir.datetime_rule("invalid_date", res, "onsetDateTime", F.col("onset_at"), required=False),
        fhir.datetime_rule(
            "invalid_date", res, "recordedDate", F.col("recorded_at"), required=False
        ),
        fhir.future_rule("in_future", res, "onsetDateTime", F.col("onset_at"), now),
        plausibility.before("before_records", "onsetDateTime", F.col("onset_at")),
    ],
    silver=lambda res: {
        "icd10_code": F.col("icd10_code"),
        "clinical_status": _first_coding(res["clinicalStatus"]),
        "verification_status": _first_coding(res["verificationStatus"]),
        "onset_at": F.col("onset_at"),
        "recorded_at": F.col("recorded_at"),
        "onset_date": fhir.local_date(F.col("onset_at")),
        "recorded_date": fhir.local_date(F.col("recorded_at")),
        "encounter_id": _encounter_id(res),
    },
    retracted=lambda res: F.coalesce(
        _first_coding(res["verificationStatus"]) == codes.RETRACTED, F.lit(False)
    ),
)

VITAL_SIGN = Resource(
    resource_type="Observation",
    entity="observations",
    table="vital_signs",
    schema=schemas.VITAL_SIGN,
    silver_schema=schemas.SILVER_VITAL_SIGNS,
    id_column="observation_id",
    typed=lambda res: {
        "loinc_code": fhir.first_code(res["code"], codes.LOINC_SYSTEM),
        "measured_at": fhir.parse_timestamp(res["effectiveDateTime"]),
    },
    rules=lambda res, now: [
        _status_rule(res, (*STATUSES, "unknown")),
        *fhir.subject_rules(res),
        _code_rule("loinc_code", list(codes.VITAL_SIGNS), "vital-sign LOINC"),
        fhir.datetime_rule(
            "invalid_effective_datetime", res, "effectiveDateTime", F.col("measured_at")
        ),
        fhir.future_rule("in_future", res, "effectiveDateTime", F.col("measured_at"), now),
        plausibility.before("before_records", "effectiveDateTime", F.col("measured_at")),
        (
            "missing_value",
            res["status"].isin(*RESULT_STATUSES) & res["valueQuantity"]["value"].isNull(),
            F.concat(F.lit("status "), res["status"], F.lit(" but no valueQuantity.value")),
        ),
        plausibility.implausible_vital_sign(
            F.col("loinc_code"), res["valueQuantity"]["value"].cast("double")
        ),
    ],
    silver=lambda res: {
        "loinc_code": F.col("loinc_code"),
        "vital_sign": F.coalesce(
            *[F.when(F.col("loinc_code") == k, F.lit(v)) for k, v in codes.VITAL_SIGNS.items()]
        ),
        "value": res["valueQuantity"]["value"],
        "unit": res["valueQuantity"]["unit"],
        "measured_at": F.col("measured_at"),
        "measured_date": fhir.local_date(F.col("measured_at")),
        "encounter_id": _encounter_id(res),
    },
)

CT_REPORT = Resource(
    resource_type="DiagnosticReport",
    entity="diagnostic_reports",
    table="ct_reports",
    schema=schemas.DIAGNOSTIC_REPORT,
    silver_schema=schemas.SILVER_CT_REPORTS,
    id_column="report_id",
    typed=lambda res: {
        "loinc_code": fhir.first_code(res["code"], codes.LOINC_SYSTEM),
        "ct_code": fhir.first_code(F.get(res["conclusionCode"], 0), codes.CT_SEVERITY_SYSTEM),
        "performed_at": fhir.parse_timestamp(res["effectiveDateTime"]),
    },
    rules=lambda res, now: [
        _status_rule(res, (*STATUSES, "partial", "unknown")),
        *fhir.subject_rules(res),
        _code_rule("loinc_code", (codes.CHEST_CT_CODE,), "chest CT LOINC"),
        fhir.datetime_rule(
            "invalid_effective_datetime", res, "effectiveDateTime", F.col("performed_at")
        ),
        fhir.future_rule("in_future", res, "effectiveDateTime", F.col("performed_at"), now),
        plausibility.before("before_records", "effectiveDateTime", F.col("performed_at")),
        (
            "unknown_code",
            F.col("ct_code").isNotNull() & ~F.col("ct_code").isin(*codes.CT_GRADES),
            F.concat(F.lit("unknown CT severity code "), F.col("ct_code")),
        ),
    ],
    silver=lambda res: {
        "ct_code": F.col("ct_code"),
        "ct_grade": F.regexp_extract(F.col("ct_code"), r"^CT-([0-4])$", 1).try_cast("int"),
        "performed_at": F.col("performed_at"),
        "performed_date": fhir.local_date(F.col("performed_at")),
        "encounter_id": _encounter_id(res),
    },
)

IMMUNIZATION = Resource(
    resource_type="Immunization",
    entity="immunizations",
    table="immunizations",
    schema=schemas.IMMUNIZATION,
    silver_schema=schemas.SILVER_IMMUNIZATIONS,
    id_column="immunization_id",
    typed=lambda res: {
        "vaccine_code": fhir.first_code(res["vaccineCode"], codes.VACCINE_SYSTEM),
        "occurred_at": fhir.parse_timestamp(res["occurrenceDateTime"]),
        "dose_number": F.get(res["protocolApplied"], 0)["doseNumberPositiveInt"],
    },
    rules=lambda res, now: [
        _status_rule(res, ("completed", "entered-in-error", "not-done")),
        *fhir.subject_rules(res),
        _code_rule("vaccine_code", codes.VACCINES, "vaccine"),
        fhir.datetime_rule("invalid_occurrence", res, "occurrenceDateTime", F.col("occurred_at")),
        fhir.future_rule("in_future", res, "occurrenceDateTime", F.col("occurred_at"), now),
        plausibility.before("before_vaccines", "occurrenceDateTime", F.col("occurred_at")),
        (
            "invalid_dose_number",
            F.col("dose_number") < 1,
            F.concat(F.lit("dose number "), F.col("dose_number").cast("string"), F.lit(" < 1")),
        ),
    ],
    silver=lambda res: {
        "vaccine_code": F.col("vaccine_code"),
        "dose_number": F.col("dose_number"),
        "occurred_at": F.col("occurred_at"),
        "occurred_date": fhir.local_date(F.col("occurred_at")),
    },
)

RESOURCES = (ENCOUNTER, CONDITION, VITAL_SIGN, CT_REPORT, IMMUNIZATION)
BY_TYPE = {r.resource_type: r for r in RESOURCES}


# -- transforms ------------------------------------------------------------------------------


def parse_typed(lines: DataFrame, resource: Resource) -> DataFrame:
    """Parse landed lines as ``resource`` with its typed fields and ``version_at``."""
    parsed = fhir.parse_resources(lines, resource.schema, "res")
    return parsed.select(
        "*",
        fhir.parse_timestamp(_res()["meta"]["lastUpdated"]).alias("version_at"),
        *[column.alias(name) for name, column in resource.typed(_res()).items()],
    )


def validate(lines: DataFrame, resource: Resource, now: datetime) -> DataFrame:
    """Parse landed lines as ``resource`` and add ``rule``/``reason`` (null: contract met)."""
    typed = parse_typed(lines, resource)
    checks = [
        *fhir.envelope_rules(_res(), resource.resource_type, F.col("version_at")),
        *resource.rules(_res(), rules.utc_literal(now)),
    ]
    return rules.apply_rules(typed, checks)


def to_bronze(validated: DataFrame, ingested_at: datetime) -> DataFrame:
    return rules.to_bronze(
        validated, ingested_at, _res()["id"], _res()["meta"]["lastUpdated"], fhir.patient_id(_res())
    )


def to_quarantine(resource: Resource) -> Callable[[DataFrame, datetime], DataFrame]:
    return lambda validated, ingested_at: rules.to_quarantine(
        validated, ingested_at, resource.entity, _res()["id"]
    )


def to_silver(bronze: DataFrame, resource: Resource, secret: str, now: datetime) -> DataFrame:
    """Bronze rows of ``resource`` -> its silver table rows, latest version per id.

    The patient leaves as the platform's keyed HMAC; retractions stay as tombstones
    (``is_retracted``) so an older version delivered late cannot bring them back.
    """
    # Bronze holds only rows that met the contract, so they are typed, not judged again.
    rows = parse_typed(bronze, resource).select(
        _res()["id"].alias(resource.id_column),
        pseudonymise_col(fhir.patient_id(_res()), secret, "patient").alias("patient_key"),
        _res()["status"].alias("status"),
        resource.retracted(_res()).alias("is_retracted"),
        *[column.alias(name) for name, column in resource.silver(_res()).items()],
        "version_at",
        "_delivery_date",
        "_source_file",
        "_line",
        "_ingested_at",
    )
    latest = latest_versions(rows, resource.id_column, "version_at")
    return latest.select(*resource.silver_schema.fieldNames())
