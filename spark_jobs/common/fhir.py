"""FHIR R4 pieces shared by the lab and records feeds: datatypes, parsing, envelope rules."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from epilake.settings import LOCAL_TIMEZONE
from spark_jobs.common.rules import Rule, shown

CORRUPT_RECORD = "_corrupt_record"
PATIENT_REFERENCE_PATTERN = r"^Patient/[0-9]+$"
# FHIR R4 dateTime / instant: a date, or a date and time that carries its offset.
FHIR_DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$"

CODING = T.StructType(
    [
        T.StructField("system", T.StringType()),
        T.StructField("code", T.StringType()),
        T.StructField("display", T.StringType()),
    ]
)
CODEABLE_CONCEPT = T.StructType(
    [T.StructField("coding", T.ArrayType(CODING)), T.StructField("text", T.StringType())]
)
REFERENCE = T.StructType([T.StructField("reference", T.StringType())])
META = T.StructType([T.StructField("lastUpdated", T.StringType())])
QUANTITY = T.StructType(
    [
        T.StructField("value", T.DoubleType()),
        T.StructField("unit", T.StringType()),
        T.StructField("system", T.StringType()),
        T.StructField("code", T.StringType()),
    ]
)


def resource_schema(*fields: T.StructField) -> T.StructType:
    """A resource's declared schema: the common envelope plus its own ``fields``."""
    return T.StructType(
        [
            T.StructField("resourceType", T.StringType()),
            T.StructField("id", T.StringType()),
            T.StructField("meta", META),
            T.StructField("status", T.StringType()),
            T.StructField("subject", REFERENCE),
            *fields,
            T.StructField(CORRUPT_RECORD, T.StringType()),
        ]
    )


def parse_resources(lines: DataFrame, schema: T.StructType, column: str = "res") -> DataFrame:
    """Parse each landed line as JSON with ``schema`` (malformed lines keep their raw text)."""
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD}
    return lines.withColumn(column, F.from_json(F.col("raw"), schema, options))


def first_code(concept: Column, system: str) -> Column:
    """The code of the first coding in ``system`` of a CodeableConcept, else null."""
    # F.get tolerates an empty array (plain [0] raises under ANSI mode).
    return F.get(F.filter(concept["coding"], lambda c: c["system"] == system), 0)["code"]


def parse_timestamp(column: Column) -> Column:
    """A FHIR dateTime/instant string as a UTC timestamp; null when it is not a valid one."""
    return F.when(column.rlike(FHIR_DATETIME_PATTERN), F.try_to_timestamp(column))


def local_date(timestamp: Column) -> Column:
    """The Moscow calendar date of a UTC timestamp (the date epidemiology counts on)."""
    return F.to_date(F.from_utc_timestamp(timestamp, LOCAL_TIMEZONE))


def referenced_id(reference: Column, resource_type: str, id_pattern: str = ".+") -> Column:
    """``<id>`` of a ``<resource_type>/<id>`` reference, else null."""
    value = F.regexp_extract(reference, rf"^{resource_type}/({id_pattern})$", 1)
    return F.when(value != "", value)


def patient_id(resource: Column) -> Column:
    """The platform patient id of ``subject.reference``."""
    return referenced_id(resource["subject"]["reference"], "Patient", "[0-9]+")


def envelope_rules(res: Column, resource_type: str, version_at: Column) -> list[Rule]:
    """The rules every FHIR line meets before its content is judged."""
    return [
        ("empty_line", F.trim(F.col("raw")) == "", F.lit("empty line")),
        (
            "json_malformed",
            res.isNull() | (res[CORRUPT_RECORD].isNotNull() & res["resourceType"].isNull()),
            F.lit("line is not a JSON object"),
        ),
        (
            "json_type_mismatch",
            res[CORRUPT_RECORD].isNotNull(),
            F.lit(f"a field has the wrong JSON type for a FHIR {resource_type}"),
        ),
        (
            "wrong_resource_type",
            F.coalesce(res["resourceType"], F.lit("")) != resource_type,
            F.concat(
                F.lit("resourceType is "),
                F.coalesce(res["resourceType"], F.lit("missing")),
                F.lit(f", expected {resource_type}"),
            ),
        ),
        ("missing_id", res["id"].isNull() | (F.trim(res["id"]) == ""), F.lit("id is missing")),
        (
            "invalid_last_updated",
            version_at.isNull(),
            F.concat(
                F.lit("meta.lastUpdated is missing or not a FHIR instant: "),
                shown(res["meta"]["lastUpdated"]),
            ),
        ),
    ]


def subject_rules(res: Column) -> list[Rule]:
    reference = res["subject"]["reference"]
    return [
        ("missing_subject", reference.isNull(), F.lit("subject is missing")),
        (
            "invalid_subject",
            ~reference.rlike(PATIENT_REFERENCE_PATTERN),
            F.concat(F.lit("subject.reference is not Patient/<digits>: "), reference),
        ),
    ]


def datetime_rule(
    rule: str, res: Column, field: str, parsed: Column, required: bool = True
) -> Rule:
    """A FHIR dateTime field that must parse (when present, or always if ``required``)."""
    raw = res[field]
    failing = parsed.isNull() if required else raw.isNotNull() & parsed.isNull()
    what = "is missing or not" if required else "is not"
    return (rule, failing, F.concat(F.lit(f"{field} {what} a FHIR dateTime: "), shown(raw)))


def future_rule(rule: str, res: Column, field: str, parsed: Column, now_utc: Column) -> Rule:
    return (rule, parsed > now_utc, F.concat(F.lit(f"{field} in the future: "), res[field]))
