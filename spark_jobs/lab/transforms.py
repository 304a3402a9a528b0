"""Pure transforms of the lab feed: DataFrame in, DataFrame out (no session, no paths).

landing lines -> validated (contract rules, first failing rule named) -> bronze | quarantine
bronze rows   -> silver lab results (typed, pseudonymised, latest version per result id)
"""

from __future__ import annotations

from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from epilake.privacy import pseudonymise_col
from epilake.settings import LOCAL_TIMEZONE
from spark_jobs.lab import codes
from spark_jobs.lab.schemas import CORRUPT_RECORD, OBSERVATION

ENTITY = "observations"


def _first_code(concept: Column, system: str) -> Column:
    """The code of the first coding in ``system`` of a CodeableConcept, else null."""
    # F.get tolerates an empty array (plain [0] raises under ANSI mode).
    return F.get(F.filter(concept["coding"], lambda c: c["system"] == system), 0)["code"]


def _parse_timestamp(column: Column) -> Column:
    """A FHIR dateTime/instant string as a UTC timestamp; null when it is not a valid one."""
    return F.when(column.rlike(codes.FHIR_DATETIME_PATTERN), F.try_to_timestamp(column))


def parse_observations(lines: DataFrame) -> DataFrame:
    """Parse each landed line as a FHIR Observation (malformed lines keep their raw text)."""
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD}
    return lines.withColumn("obs", F.from_json(F.col("raw"), OBSERVATION, options))


def _rules(now: datetime) -> list[tuple[str, Column, Column]]:
    """(rule, failing condition, reason) in the order they are judged."""
    obs = F.col("obs")
    loinc = F.col("loinc_code")
    status = obs["status"]
    collected, issued = F.col("collected_at"), F.col("issued_at")
    value_code = F.col("result_code")
    has_result_value = value_code.isNotNull() | obs["valueQuantity"]["value"].isNotNull()
    return [
        ("empty_line", F.trim(F.col("raw")) == "", F.lit("empty line")),
        (
            "json_malformed",
            obs.isNull() | (obs[CORRUPT_RECORD].isNotNull() & obs["resourceType"].isNull()),
            F.lit("line is not a JSON object"),
        ),
        (
            "json_type_mismatch",
            obs[CORRUPT_RECORD].isNotNull(),
            F.lit("a field has the wrong JSON type for a FHIR Observation"),
        ),
        (
            "wrong_resource_type",
            F.coalesce(obs["resourceType"], F.lit("")) != "Observation",
            F.concat(
                F.lit("resourceType is "),
                F.coalesce(obs["resourceType"], F.lit("missing")),
                F.lit(", expected Observation"),
            ),
        ),
        ("missing_id", obs["id"].isNull() | (F.trim(obs["id"]) == ""), F.lit("id is missing")),
        (
            "invalid_last_updated",
            F.col("version_at").isNull(),
            F.concat(
                F.lit("meta.lastUpdated is missing or not a FHIR instant: "),
                F.coalesce(obs["meta"]["lastUpdated"], F.lit("null")),
            ),
        ),
        (
            "unknown_status",
            ~F.coalesce(status.isin(*codes.STATUSES), F.lit(False)),
            F.concat(F.lit("unknown status "), F.coalesce(status, F.lit("null"))),
        ),
        (
            "unknown_loinc",
            loinc.isNull() | ~loinc.isin(*codes.TEST_TYPE_BY_LOINC),
            F.when(loinc.isNull(), F.lit("no LOINC coding in code.coding")).otherwise(
                F.concat(F.lit("unknown LOINC "), loinc)
            ),
        ),
        ("missing_subject", obs["subject"]["reference"].isNull(), F.lit("subject is missing")),
        (
            "invalid_subject",
            ~obs["subject"]["reference"].rlike(codes.PATIENT_REFERENCE_PATTERN),
            F.concat(
                F.lit("subject.reference is not Patient/<digits>: "), obs["subject"]["reference"]
            ),
        ),
        (
            "invalid_effective_datetime",
            collected.isNull(),
            F.concat(
                F.lit("effectiveDateTime is missing or not a FHIR dateTime: "),
                F.coalesce(obs["effectiveDateTime"], F.lit("null")),
            ),
        ),
        (
            "invalid_issued",
            issued.isNull(),
            F.concat(
                F.lit("issued is missing or not a FHIR instant: "),
                F.coalesce(obs["issued"], F.lit("null")),
            ),
        ),
        (
            "collected_in_future",
            collected > F.lit(now).cast("timestamp"),
            F.concat(F.lit("effectiveDateTime in the future: "), obs["effectiveDateTime"]),
        ),
        (
            "collected_after_issued",
            collected > issued,
            F.concat(
                F.lit("effectiveDateTime "),
                obs["effectiveDateTime"],
                F.lit(" after issued "),
                obs["issued"],
            ),
        ),
        (
            "missing_value",
            status.isin(*codes.RESULT_STATUSES) & ~has_result_value,
            F.concat(
                F.lit("status "),
                status,
                F.lit(" but neither valueCodeableConcept nor valueQuantity"),
            ),
        ),
        (
            "unknown_result_code",
            value_code.isNotNull() & ~value_code.isin(*codes.RESULT_CODES),
            F.concat(F.lit("unknown SNOMED CT result "), value_code),
        ),
    ]


def validate_observations(parsed: DataFrame, now: datetime) -> DataFrame:
    """Add typed fields and ``rule``/``reason``: null when the record meets the contract.

    ``now`` is a timezone-aware instant; collection after it is "in the future".
    """
    obs = F.col("obs")
    typed = parsed.select(
        "*",
        _first_code(obs["code"], codes.LOINC_SYSTEM).alias("loinc_code"),
        _first_code(obs["valueCodeableConcept"], codes.SNOMED_SYSTEM).alias("result_code"),
        _parse_timestamp(obs["effectiveDateTime"]).alias("collected_at"),
        _parse_timestamp(obs["issued"]).alias("issued_at"),
        _parse_timestamp(obs["meta"]["lastUpdated"]).alias("version_at"),
    )
    rules = _rules(now.astimezone(UTC).replace(tzinfo=None))
    rule = F.coalesce(*[F.when(cond, F.lit(name)) for name, cond, _ in rules])
    reason = F.coalesce(*[F.when(cond, why) for _, cond, why in rules])
    return typed.withColumn("rule", rule).withColumn("reason", reason)


def record_hash(column: str = "raw") -> Column:
    return F.sha2(F.col(column), 256)


def to_bronze(validated: DataFrame, ingested_at: datetime) -> DataFrame:
    """Accepted records as received, with load metadata."""
    return validated.where(F.col("rule").isNull()).select(
        "_delivery_date",
        "_batch_id",
        "_source_file",
        "_line",
        "raw",
        F.col("obs")["id"].alias("resource_id"),
        F.col("obs")["meta"]["lastUpdated"].alias("last_updated"),
        record_hash().alias("_record_hash"),
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
    )


def to_quarantine(validated: DataFrame, ingested_at: datetime) -> DataFrame:
    """Rejected records with the rule they broke and a specific reason."""
    return validated.where(F.col("rule").isNotNull()).select(
        "_delivery_date",
        "_batch_id",
        "_source_file",
        "_line",
        F.lit(ENTITY).alias("entity"),
        F.col("obs")["id"].alias("record_id"),
        "raw",
        "rule",
        "reason",
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
    )


def latest_versions(df: DataFrame, key: str, version: str) -> DataFrame:
    """One row per ``key``: the highest ``version``; ties go to the later delivery, file, line."""
    order = [
        F.col(version).desc(),
        F.col("_delivery_date").desc(),
        F.col("_source_file").desc(),
        F.col("_line").desc(),
    ]
    ranked = df.withColumn("_rank", F.row_number().over(Window.partitionBy(key).orderBy(*order)))
    return ranked.where(F.col("_rank") == 1).drop("_rank")


def to_silver_lab_results(bronze: DataFrame, secret: str, now: datetime) -> DataFrame:
    """Bronze observations -> typed, pseudonymised lab results, latest version per id.

    The platform patient id and the accession number leave as keyed HMACs; nothing else
    identifying is carried. Retractions (``entered-in-error``) are kept as tombstones
    (``is_retracted``) so that an older version delivered late cannot bring them back.
    """
    validated = validate_observations(parse_observations(bronze), now)
    obs = F.col("obs")
    patient_id = F.regexp_extract(obs["subject"]["reference"], r"^Patient/([0-9]+)$", 1)
    loinc = F.col("loinc_code")
    value = obs["valueQuantity"]["value"]
    is_positive = F.when(
        loinc == codes.IGG_QUANTITY_CODE,
        F.coalesce(
            value >= codes.IGG_POSITIVE_THRESHOLD_BAU_ML, F.col("result_code") == codes.DETECTED
        ),
    ).otherwise(F.col("result_code") == codes.DETECTED)
    test_type = F.coalesce(
        *[F.when(loinc.isin(*group), F.lit(name)) for name, group in _TEST_GROUPS]
    )
    results = validated.where(F.col("rule").isNull()).select(
        obs["id"].alias("result_id"),
        pseudonymise_col(F.get(obs["identifier"], 0)["value"], secret, "accession").alias(
            "accession_key"
        ),
        pseudonymise_col(patient_id, secret, "patient").alias("patient_key"),
        obs["status"].alias("status"),
        (obs["status"] == codes.RETRACTED_STATUS).alias("is_retracted"),
        loinc.alias("loinc_code"),
        test_type.alias("test_type"),
        F.col("result_code"),
        value.alias("result_value"),
        obs["valueQuantity"]["unit"].alias("result_unit"),
        is_positive.alias("is_positive"),
        F.col("collected_at"),
        F.col("issued_at"),
        F.to_date(F.from_utc_timestamp(F.col("collected_at"), LOCAL_TIMEZONE)).alias(
            "specimen_date"
        ),
        F.regexp_extract(F.get(obs["performer"], 0)["reference"], r"^Organization/(.+)$", 1).alias(
            "lab_id"
        ),
        F.col("version_at"),
        "_delivery_date",
        "_source_file",
        "_line",
        "_ingested_at",
    )
    return latest_versions(results, "result_id", "version_at")


_TEST_GROUPS = (
    ("pcr", codes.PCR_CODES),
    ("antigen", codes.ANTIGEN_CODES),
    ("antibody", codes.ANTIBODY_CODES),
)
