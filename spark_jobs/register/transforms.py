"""Pure transforms of the register feed (CSV change events -> SCD2 patient history).

landing lines -> validated (column count, duplicates, ids, dates, enumerations) -> bronze | quarantine
bronze events -> ``patients`` history: one version per upsert, closed by the next event
                 (a delete closes the last version and opens none)
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from epilake.privacy import pseudonymise_col
from spark_jobs.common import fhir, plausibility, rules
from spark_jobs.register import codes
from spark_jobs.register.schemas import SILVER_PATIENTS


def _reg() -> Column:
    """The parsed record column (a function: columns need a live session)."""
    return F.col("reg")


ENTITY = "events"
# A comma outside double quotes (RFC 4180 fields may quote commas).
_FIELD_SEPARATOR = r',(?=(?:[^"]*"[^"]*")*[^"]*$)'
_ROW_DDL = ", ".join(f"`{name}` STRING" for name in codes.COLUMNS)


def _csv_row() -> Column:
    return F.from_csv(F.col("raw"), _ROW_DDL)


def parse_events(lines: DataFrame) -> DataFrame:
    """Parse each landed CSV line into the 17 contract columns (all strings)."""
    return lines.select(
        "*",
        _csv_row().alias("reg"),
        F.size(F.split(F.col("raw"), _FIELD_SEPARATOR, -1)).alias("field_count"),
    )


def _enumeration_rules(is_upsert: Column) -> list[rules.Rule]:
    return [
        (
            f"unknown_{column}",
            is_upsert & (_reg()[column].isNull() | ~_reg()[column].isin(*allowed)),
            F.concat(F.lit(f"unknown {column} "), rules.shown(_reg()[column])),
        )
        for column, allowed in codes.ENUMERATIONS.items()
    ]


def validate_events(parsed: DataFrame, now: datetime) -> DataFrame:
    """Add typed fields and ``rule``/``reason``. ``now`` bounds event times."""
    earlier = Window.partitionBy(_reg()["event_id"]).orderBy("_source_file", "_line")
    typed = parsed.select(
        "*",
        fhir.parse_timestamp(_reg()["event_time"]).alias("event_at"),
        rules.parse_iso_date(_reg()["birth_date"]).alias("birth"),
        rules.parse_iso_date(_reg()["status_since"]).alias("since"),
        F.row_number().over(earlier).alias("_occurrence"),
        F.first("_line").over(earlier).alias("_first_line"),
    )
    is_upsert = _reg()["op"] == "upsert"
    now_utc = rules.utc_literal(now)
    checks: list[rules.Rule] = [
        ("empty_line", F.trim(F.col("raw")) == "", F.lit("empty line")),
        (
            "wrong_column_count",
            F.col("field_count") != len(codes.COLUMNS),
            F.concat(
                F.col("field_count").cast("string"),
                F.lit(f" columns, the header has {len(codes.COLUMNS)}"),
            ),
        ),
        ("missing_event_id", _reg()["event_id"].isNull(), F.lit("event_id is missing")),
        (
            "duplicate_event_skipped",
            F.col("_occurrence") > 1,
            F.concat(
                F.lit("event_id "),
                _reg()["event_id"],
                F.lit(" already delivered at line "),
                F.col("_first_line").cast("string"),
            ),
        ),
        (
            "invalid_patient_id",
            ~F.coalesce(_reg()["patient_id"].rlike("^[0-9]+$"), F.lit(False)),
            F.concat(F.lit("patient_id is not digits: "), rules.shown(_reg()["patient_id"])),
        ),
        (
            "invalid_event_time",
            F.col("event_at").isNull(),
            F.concat(
                F.lit("event_time is not ISO 8601 with offset: "), rules.shown(_reg()["event_time"])
            ),
        ),
        (
            "in_future",
            F.col("event_at") > now_utc,
            F.concat(F.lit("event_time in the future: "), _reg()["event_time"]),
        ),
        (
            "unknown_op",
            ~F.coalesce(_reg()["op"].isin(*codes.OPS), F.lit(False)),
            F.concat(F.lit("unknown op "), rules.shown(_reg()["op"])),
        ),
        (
            "invalid_birth_date",
            is_upsert & (F.col("birth").isNull() | (F.col("birth") > F.to_date(now_utc))),
            F.concat(
                F.lit("birth_date is not a past calendar date: "),
                rules.shown(_reg()["birth_date"]),
            ),
        ),
        (
            "implausible_birth_date",
            is_upsert & (F.col("birth") < F.lit(plausibility.EARLIEST_BIRTH_DATE)),
            F.concat(
                F.lit(f"birth_date before {plausibility.EARLIEST_BIRTH_DATE}: "),
                rules.shown(_reg()["birth_date"]),
                F.lit(", no one alive was born then"),
            ),
        ),
        *_enumeration_rules(is_upsert),
        (
            "invalid_status_since",
            is_upsert & F.col("since").isNull(),
            F.concat(
                F.lit("status_since is not YYYY-MM-DD: "), rules.shown(_reg()["status_since"])
            ),
        ),
    ]
    return rules.apply_rules(typed, checks)


def to_bronze(validated: DataFrame, ingested_at: datetime) -> DataFrame:
    return rules.to_bronze(
        validated, ingested_at, _reg()["event_id"], _reg()["event_time"], _reg()["patient_id"]
    )


def to_quarantine(validated: DataFrame, ingested_at: datetime) -> DataFrame:
    return rules.to_quarantine(validated, ingested_at, ENTITY, _reg()["event_id"])


def to_patient_history(bronze: DataFrame, secret: str) -> DataFrame:
    """All bronze events of some patients -> their complete SCD2 history.

    Events apply in ``event_time`` order (ties by event_id), whatever order they arrived
    in; an event delivered twice counts once. Each upsert opens a version that the next
    event closes; a delete only closes.
    """
    events = bronze.select("*", _csv_row().alias("reg")).select(
        "*",
        fhir.parse_timestamp(_reg()["event_time"]).alias("event_at"),
        rules.parse_iso_date(_reg()["birth_date"]).alias("birth"),
    )
    first_delivery = Window.partitionBy(_reg()["event_id"]).orderBy(
        "_delivery_date", "_source_file", "_line"
    )
    events = (
        events.withColumn("_copy", F.row_number().over(first_delivery))
        .where(F.col("_copy") == 1)
        .drop("_copy")
    )
    timeline = Window.partitionBy(_reg()["patient_id"]).orderBy("event_at", _reg()["event_id"])
    events = events.select(
        "*",
        F.lead("event_at").over(timeline).alias("valid_to"),
        F.lead(_reg()["op"]).over(timeline).alias("next_op"),
    )
    valid_from_date = fhir.local_date(F.col("event_at"))
    history = events.where(_reg()["op"] == "upsert").select(
        pseudonymise_col(_reg()["patient_id"], secret, "patient").alias("patient_key"),
        _reg()["event_id"].alias("event_id"),
        _reg()["sex"].alias("sex"),
        # The year and month of birth, not the day (a birth date is taken as the first of
        # its month, as OpenSAFELY does): enough for age on any date, in whole years.
        F.year("birth").alias("birth_year"),
        F.month("birth").alias("birth_month"),
        _reg()["okrug"].alias("okrug"),
        _reg()["covid_status"].alias("covid_status"),
        _reg()["contact_status"].alias("contact_status"),
        _reg()["immune_status"].alias("immune_status"),
        rules.parse_iso_date(_reg()["status_since"]).alias("status_since"),
        F.col("event_at").alias("valid_from"),
        F.col("valid_to"),
        valid_from_date.alias("valid_from_date"),
        fhir.local_date(F.col("valid_to")).alias("valid_to_date"),
        F.col("valid_to").isNull().alias("is_current"),
        F.coalesce(F.col("next_op") == "delete", F.lit(False)).alias("closed_by_delete"),
        "_delivery_date",
        "_source_file",
        "_line",
        "_ingested_at",
        F.current_timestamp().alias("_promoted_at"),
    )
    return history.select(*SILVER_PATIENTS.fieldNames())
