"""Pure transforms of the tracing feed (epidemiological investigation, JSON Lines).

landing lines -> validated -> bronze | quarantine
bronze rows   -> ``contacts``: latest ``updated_at`` per contact, names and phones dropped
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from epilake.privacy import pseudonymise_col
from spark_jobs.common import fhir, plausibility, rules
from spark_jobs.common.silver import latest_versions
from spark_jobs.tracing.schemas import CONTACT, SILVER_CONTACTS


def _con() -> Column:
    """The parsed record column (a function: columns need a live session)."""
    return F.col("con")


ENTITY = "contacts"
SETTINGS = ("household", "work", "education", "healthcare", "transport", "social", "other")
TEST_RESULTS = ("positive", "negative", "not_tested")
OUTCOMES = ("in_progress", "became_case", "completed_quarantine", "lost_to_follow_up")
REQUIRED = ("contact_id", "investigation_id", "index_patient_id", "updated_at")

_INSTANTS = {"identified_at": True, "notified_at": False, "updated_at": True}
_DATES = {"exposure_date": True, "quarantine_start": False, "quarantine_end": False}


def parse_contacts(lines: DataFrame) -> DataFrame:
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": fhir.CORRUPT_RECORD}
    return lines.withColumn("con", F.from_json(F.col("raw"), CONTACT, options))


def _value_rule(name: str, allowed: tuple[str, ...]) -> rules.Rule:
    return (
        f"unknown_{name}",
        ~F.coalesce(_con()[name].isin(*allowed), F.lit(False)),
        F.concat(F.lit(f"unknown {name} "), rules.shown(_con()[name])),
    )


def _parsed_rules() -> list[rules.Rule]:
    """A date or instant field that is required, or present, must parse."""
    checks = []
    for name, required in {**_INSTANTS, **_DATES}.items():
        raw, parsed = _con()[name], F.col(f"_{name}")
        failing = parsed.isNull() if required else raw.isNotNull() & parsed.isNull()
        kind = "an ISO 8601 instant" if name in _INSTANTS else "YYYY-MM-DD"
        checks.append(
            ("invalid_date", failing, F.concat(F.lit(f"{name} is not {kind}: "), rules.shown(raw)))
        )
    return checks


def typed_contacts(parsed: DataFrame) -> DataFrame:
    """Parsed contacts with their instants and dates typed (``_<field>`` columns)."""
    return parsed.select(
        "*",
        *[fhir.parse_timestamp(_con()[name]).alias(f"_{name}") for name in _INSTANTS],
        *[rules.parse_iso_date(_con()[name]).alias(f"_{name}") for name in _DATES],
    )


def validate_contacts(parsed: DataFrame, now: datetime) -> DataFrame:
    typed = typed_contacts(parsed)
    checks: list[rules.Rule] = [
        ("empty_line", F.trim(F.col("raw")) == "", F.lit("empty line")),
        (
            "json_malformed",
            _con().isNull()
            | (_con()[fhir.CORRUPT_RECORD].isNotNull() & _con()["contact_id"].isNull()),
            F.lit("line is not a JSON object"),
        ),
        (
            "json_type_mismatch",
            _con()[fhir.CORRUPT_RECORD].isNotNull(),
            F.lit("a field has the wrong JSON type for a contact record"),
        ),
        *[
            (
                "missing_field",
                _con()[name].isNull() | (F.trim(_con()[name]) == ""),
                F.lit(f"{name} is missing"),
            )
            for name in REQUIRED
        ],
        *[
            (
                "invalid_patient_id",
                _con()[name].isNotNull() & ~_con()[name].rlike("^[0-9]+$"),
                F.concat(F.lit(f"{name} is not digits: "), _con()[name]),
            )
            for name in ("index_patient_id", "contact_patient_id")
        ],
        _value_rule("setting", SETTINGS),
        *_parsed_rules(),
        _value_rule("test_result", TEST_RESULTS),
        _value_rule("outcome", OUTCOMES),
        (
            "in_future",
            F.col("_identified_at") > rules.utc_literal(now),
            F.concat(F.lit("identified_at in the future: "), _con()["identified_at"]),
        ),
        plausibility.before("before_pandemic", "identified_at", F.col("_identified_at")),
    ]
    return rules.apply_rules(typed, checks)


def to_bronze(validated: DataFrame, ingested_at: datetime) -> DataFrame:
    return rules.to_bronze(
        validated,
        ingested_at,
        _con()["contact_id"],
        _con()["updated_at"],
        _con()["index_patient_id"],
    )


def to_quarantine(validated: DataFrame, ingested_at: datetime) -> DataFrame:
    return rules.to_quarantine(validated, ingested_at, ENTITY, _con()["contact_id"])


def to_silver_contacts(bronze: DataFrame, secret: str, now: datetime) -> DataFrame:
    """Latest version per contact; both patients as keyed HMACs, names and phones dropped."""
    # Bronze holds only rows that met the contract, so they are typed, not judged again.
    rows = typed_contacts(parse_contacts(bronze)).select(
        _con()["contact_id"].alias("contact_id"),
        _con()["investigation_id"].alias("investigation_id"),
        pseudonymise_col(_con()["index_patient_id"], secret).alias("index_patient_key"),
        F.when(
            _con()["contact_patient_id"].isNotNull(),
            pseudonymise_col(_con()["contact_patient_id"], secret),
        ).alias("contact_patient_key"),
        _con()["setting"].alias("setting"),
        F.col("_exposure_date").alias("exposure_date"),
        F.col("_identified_at").alias("identified_at"),
        F.col("_notified_at").alias("notified_at"),
        F.col("_quarantine_start").alias("quarantine_start"),
        F.col("_quarantine_end").alias("quarantine_end"),
        _con()["test_result"].alias("test_result"),
        _con()["outcome"].alias("outcome"),
        F.col("_updated_at").alias("version_at"),
        "_delivery_date",
        "_source_file",
        "_line",
        "_ingested_at",
    )
    latest = latest_versions(rows, "contact_id", "version_at")
    return latest.select(*SILVER_CONTACTS.fieldNames())
