"""Pure transforms of the lab feed: DataFrame in, DataFrame out (no session, no paths).

landing lines -> validated (contract rules, first failing rule named) -> bronze | quarantine
bronze rows   -> silver lab results (typed, pseudonymised, latest version per result id)
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from epilake.privacy import pseudonymise_col
from spark_jobs.common import fhir, plausibility, rules
from spark_jobs.common.silver import latest_versions
from spark_jobs.lab import codes
from spark_jobs.lab.schemas import OBSERVATION, SILVER_LAB_RESULTS

ENTITY = "observations"


def parse_observations(lines: DataFrame) -> DataFrame:
    """Parse each landed line as a FHIR Observation (malformed lines keep their raw text)."""
    return fhir.parse_resources(lines, OBSERVATION, "obs")


def _rules(now_utc: Column) -> list[rules.Rule]:
    """(rule, failing condition, reason) in the order they are judged."""
    obs = F.col("obs")
    loinc = F.col("loinc_code")
    status = obs["status"]
    collected, issued = F.col("collected_at"), F.col("issued_at")
    value_code = F.col("result_code")
    has_result_value = value_code.isNotNull() | obs["valueQuantity"]["value"].isNotNull()
    return [
        *fhir.envelope_rules(obs, "Observation", F.col("version_at")),
        (
            "unknown_status",
            ~F.coalesce(status.isin(*codes.STATUSES), F.lit(False)),
            F.concat(F.lit("unknown status "), rules.shown(status)),
        ),
        (
            "unknown_loinc",
            loinc.isNull() | ~loinc.isin(*codes.TEST_TYPE_BY_LOINC),
            F.when(loinc.isNull(), F.lit("no LOINC coding in code.coding")).otherwise(
                F.concat(F.lit("unknown LOINC "), loinc)
            ),
        ),
        *fhir.subject_rules(obs),
        fhir.datetime_rule("invalid_effective_datetime", obs, "effectiveDateTime", collected),
        (
            "invalid_issued",
            issued.isNull(),
            F.concat(
                F.lit("issued is missing or not a FHIR instant: "), rules.shown(obs["issued"])
            ),
        ),
        fhir.future_rule("collected_in_future", obs, "effectiveDateTime", collected, now_utc),
        plausibility.before("before_pandemic", "effectiveDateTime", collected),
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
        plausibility.outside_rule(
            "implausible_value",
            "valueQuantity.value",
            obs["valueQuantity"]["value"].cast("double"),
            0.0,
            plausibility.MAX_IGG_BAU_ML,
        ),
    ]


def typed_observations(parsed: DataFrame) -> DataFrame:
    """Parsed observations with their codes and instants as typed columns."""
    obs = F.col("obs")
    return parsed.select(
        "*",
        fhir.first_code(obs["code"], codes.LOINC_SYSTEM).alias("loinc_code"),
        fhir.first_code(obs["valueCodeableConcept"], codes.SNOMED_SYSTEM).alias("result_code"),
        fhir.parse_timestamp(obs["effectiveDateTime"]).alias("collected_at"),
        fhir.parse_timestamp(obs["issued"]).alias("issued_at"),
        fhir.parse_timestamp(obs["meta"]["lastUpdated"]).alias("version_at"),
    )


def validate_observations(parsed: DataFrame, now: datetime) -> DataFrame:
    """Add typed fields and ``rule``/``reason``: null when the record meets the contract.

    ``now`` is a timezone-aware instant; collection after it is "in the future".
    """
    typed = typed_observations(parsed)
    return rules.apply_rules(typed, _rules(rules.utc_literal(now)))


def to_bronze(validated: DataFrame, ingested_at: datetime) -> DataFrame:
    """Accepted records as received, with load metadata."""
    obs = F.col("obs")
    return rules.to_bronze(
        validated, ingested_at, obs["id"], obs["meta"]["lastUpdated"], fhir.patient_id(obs)
    )


def to_quarantine(validated: DataFrame, ingested_at: datetime) -> DataFrame:
    """Rejected records with the rule they broke and a specific reason."""
    return rules.to_quarantine(validated, ingested_at, ENTITY, F.col("obs")["id"])


def to_silver_lab_results(bronze: DataFrame, secret: str, now: datetime) -> DataFrame:
    """Bronze observations -> typed, pseudonymised lab results, latest version per id.

    The platform patient id and the accession number leave as keyed HMACs; nothing else
    identifying is carried. Retractions (``entered-in-error``) are kept as tombstones
    (``is_retracted``) so that an older version delivered late cannot bring them back.
    """
    # Bronze holds only rows that met the contract, so they are typed, not judged again.
    typed = typed_observations(parse_observations(bronze))
    obs = F.col("obs")
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
    results = typed.select(
        obs["id"].alias("result_id"),
        pseudonymise_col(F.get(obs["identifier"], 0)["value"], secret, "accession").alias(
            "accession_key"
        ),
        pseudonymise_col(fhir.patient_id(obs), secret, "patient").alias("patient_key"),
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
        fhir.local_date(F.col("collected_at")).alias("specimen_date"),
        F.regexp_extract(F.get(obs["performer"], 0)["reference"], r"^Organization/(.+)$", 1).alias(
            "lab_id"
        ),
        F.col("version_at"),
        "_delivery_date",
        "_source_file",
        "_line",
        "_ingested_at",
    )
    latest = latest_versions(results, "result_id", "version_at")
    return latest.select(*SILVER_LAB_RESULTS.fieldNames())


_TEST_GROUPS = (
    ("pcr", codes.PCR_CODES),
    ("antigen", codes.ANTIGEN_CODES),
    ("antibody", codes.ANTIBODY_CODES),
)
