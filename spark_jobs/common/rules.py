"""Contract rules as data: (rule, failing condition, reason), judged in order.

A record gets the first rule it fails (``rule``/``reason`` columns) or nulls when it meets
the contract; bronze takes the nulls, quarantine the rest, so read = accepted + quarantined.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

Rule = tuple[str, Column, Column]


def apply_rules(frame: DataFrame, rules: Sequence[Rule]) -> DataFrame:
    """Add ``rule`` and ``reason``: the first failing rule, or null for a good record."""
    rule = F.coalesce(*[F.when(cond, F.lit(name)) for name, cond, _ in rules])
    reason = F.coalesce(*[F.when(cond, why) for _, cond, why in rules])
    return frame.withColumn("rule", rule).withColumn("reason", reason)


def shown(column: Column) -> Column:
    """A value for a reason text: the value, or ``null`` when it is missing."""
    return F.coalesce(column.cast("string"), F.lit("null"))


def utc_literal(now: datetime) -> Column:
    """A timezone-aware instant as a (UTC, timezone-less) Spark timestamp literal."""
    return F.lit(now.astimezone(UTC).replace(tzinfo=None)).cast("timestamp")


def parse_iso_date(column: Column) -> Column:
    """A ``YYYY-MM-DD`` string as a date; null when it is not a calendar date."""
    return F.when(column.rlike(r"^\d{4}-\d{2}-\d{2}$"), F.try_to_date(column, "yyyy-MM-dd"))


def record_hash(column: str = "raw") -> Column:
    return F.sha2(F.col(column), 256)


def to_bronze(
    validated: DataFrame,
    ingested_at: datetime,
    record_id: Column,
    record_version: Column,
    subject_id: Column,
) -> DataFrame:
    """Accepted records as received, with load metadata and a few lookup columns."""
    return validated.where(F.col("rule").isNull()).select(
        "_delivery_date",
        "_batch_id",
        "_source_file",
        "_line",
        "raw",
        record_id.cast("string").alias("record_id"),
        record_version.cast("string").alias("record_version"),
        subject_id.cast("string").alias("subject_id"),
        record_hash().alias("_record_hash"),
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
    )


def to_quarantine(
    validated: DataFrame, ingested_at: datetime, entity: str, record_id: Column
) -> DataFrame:
    """Rejected records with the rule they broke and a specific reason."""
    return validated.where(F.col("rule").isNotNull()).select(
        "_delivery_date",
        "_batch_id",
        "_source_file",
        "_line",
        F.lit(entity).alias("entity"),
        record_id.cast("string").alias("record_id"),
        "raw",
        "rule",
        "reason",
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
    )
