"""Declared schemas of the records feed: five FHIR R4 resources in, five silver tables out."""

from pyspark.sql import types as T

from spark_jobs.common.fhir import CODEABLE_CONCEPT, CODING, QUANTITY, REFERENCE, resource_schema
from spark_jobs.common.schemas import SILVER_LINEAGE

_PERIOD = T.StructType(
    [T.StructField("start", T.StringType()), T.StructField("end", T.StringType())]
)

ENCOUNTER = resource_schema(
    T.StructField("class", CODING),
    T.StructField("type", T.ArrayType(CODEABLE_CONCEPT)),
    T.StructField("period", _PERIOD),
    T.StructField(
        "hospitalization",
        T.StructType([T.StructField("dischargeDisposition", CODEABLE_CONCEPT)]),
    ),
)
CONDITION = resource_schema(
    T.StructField("code", CODEABLE_CONCEPT),
    T.StructField("clinicalStatus", CODEABLE_CONCEPT),
    T.StructField("verificationStatus", CODEABLE_CONCEPT),
    T.StructField("onsetDateTime", T.StringType()),
    T.StructField("recordedDate", T.StringType()),
    T.StructField("encounter", REFERENCE),
)
VITAL_SIGN = resource_schema(
    T.StructField("code", CODEABLE_CONCEPT),
    T.StructField("effectiveDateTime", T.StringType()),
    T.StructField("valueQuantity", QUANTITY),
    T.StructField("encounter", REFERENCE),
)
DIAGNOSTIC_REPORT = resource_schema(
    T.StructField("code", CODEABLE_CONCEPT),
    T.StructField("effectiveDateTime", T.StringType()),
    T.StructField("conclusionCode", T.ArrayType(CODEABLE_CONCEPT)),
    T.StructField("encounter", REFERENCE),
)
IMMUNIZATION = resource_schema(
    T.StructField("vaccineCode", CODEABLE_CONCEPT),
    T.StructField("occurrenceDateTime", T.StringType()),
    T.StructField(
        "protocolApplied",
        T.ArrayType(T.StructType([T.StructField("doseNumberPositiveInt", T.IntegerType())])),
    ),
)


def _silver(*fields: T.StructField) -> T.StructType:
    """A silver records table: its business columns, then the shared tail."""
    return T.StructType(
        [
            *fields,
            T.StructField("version_at", T.TimestampType(), nullable=False),
            *SILVER_LINEAGE,
        ]
    )


def _head(id_column: str) -> list[T.StructField]:
    return [
        T.StructField(id_column, T.StringType(), nullable=False),
        T.StructField("patient_key", T.StringType(), nullable=False),
        T.StructField("status", T.StringType()),
        T.StructField("is_retracted", T.BooleanType(), nullable=False),
    ]


SILVER_ENCOUNTERS = _silver(
    *_head("encounter_id"),
    T.StructField("class_code", T.StringType(), nullable=False),
    T.StructField("is_icu", T.BooleanType(), nullable=False),
    T.StructField("started_at", T.TimestampType(), nullable=False),
    T.StructField("ended_at", T.TimestampType()),
    T.StructField("start_date", T.DateType(), nullable=False),
    T.StructField("end_date", T.DateType()),
    T.StructField("discharge_disposition", T.StringType()),
)
SILVER_CONDITIONS = _silver(
    *_head("condition_id"),
    T.StructField("icd10_code", T.StringType(), nullable=False),
    T.StructField("clinical_status", T.StringType()),
    T.StructField("verification_status", T.StringType()),
    T.StructField("onset_at", T.TimestampType()),
    T.StructField("recorded_at", T.TimestampType()),
    T.StructField("onset_date", T.DateType()),
    T.StructField("recorded_date", T.DateType()),
    T.StructField("encounter_id", T.StringType()),
)
SILVER_VITAL_SIGNS = _silver(
    *_head("observation_id"),
    T.StructField("loinc_code", T.StringType(), nullable=False),
    T.StructField("vital_sign", T.StringType(), nullable=False),
    T.StructField("value", T.DoubleType()),
    T.StructField("unit", T.StringType()),
    T.StructField("measured_at", T.TimestampType(), nullable=False),
    T.StructField("measured_date", T.DateType(), nullable=False),
    T.StructField("encounter_id", T.StringType()),
)
SILVER_CT_REPORTS = _silver(
    *_head("report_id"),
    T.StructField("ct_code", T.StringType()),
    T.StructField("ct_grade", T.IntegerType()),
    T.StructField("performed_at", T.TimestampType(), nullable=False),
    T.StructField("performed_date", T.DateType(), nullable=False),
    T.StructField("encounter_id", T.StringType()),
)
SILVER_IMMUNIZATIONS = _silver(
    *_head("immunization_id"),
    T.StructField("vaccine_code", T.StringType(), nullable=False),
    T.StructField("dose_number", T.IntegerType()),
    T.StructField("occurred_at", T.TimestampType(), nullable=False),
    T.StructField("occurred_date", T.DateType(), nullable=False),
)
