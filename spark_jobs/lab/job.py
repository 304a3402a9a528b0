"""Lab feed I/O: landing -> bronze/quarantine, then bronze -> silver ``lab_results``.

The only module of the lab feed that reads or writes; the logic is in ``transforms``.
Run alone with ``python -m spark_jobs.lab.job`` (settings from ``EPILAKE_*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from epilake.settings import Settings, get_settings
from epilake.spark import get_spark
from spark_jobs.common import audit
from spark_jobs.common.delta import ensure_table, read_table, table_version
from spark_jobs.common.ingest import FeedIngestor, FeedSpec, IngestSummary
from spark_jobs.lab import schemas, transforms

FEED = "lab"
SILVER_TABLE = ("silver", "lab_results")

LAB_SPEC = FeedSpec(
    feed=FEED,
    entity=transforms.ENTITY,
    bronze_schema=schemas.BRONZE_OBSERVATIONS,
    quarantine_schema=schemas.QUARANTINE,
    validate=lambda lines, now: transforms.validate_observations(
        transforms.parse_observations(lines), now
    ),
    to_bronze=transforms.to_bronze,
    to_quarantine=transforms.to_quarantine,
)

# A newer version replaces the stored one; equal versions go to the later delivery.
_NEWER = (
    "s.version_at > t.version_at OR (s.version_at = t.version_at AND "
    "struct(s._delivery_date, s._source_file, s._line) > "
    "struct(t._delivery_date, t._source_file, t._line))"
)


@dataclass
class SilverSummary:
    files_promoted: int
    rows_in: int
    rows_total: int
    table_version: int | None


def ingest_bronze(spark: SparkSession, settings: Settings) -> IngestSummary:
    """Load every new lab landing file into bronze and quarantine, and audit it."""
    return FeedIngestor(spark, settings, LAB_SPEC).run()


def promote_to_silver(spark: SparkSession, settings: Settings) -> SilverSummary:
    """MERGE the bronze rows of files not yet promoted into ``silver/lab_results``."""
    audit_rows = read_table(spark, settings.table_path(*audit.AUDIT_TABLE), audit.AUDIT_SCHEMA)
    promotions_path = settings.table_path(*audit.PROMOTIONS_TABLE)
    promoted = read_table(spark, promotions_path, audit.PROMOTIONS_SCHEMA).where(
        (F.col("feed") == FEED) & (F.col("entity") == transforms.ENTITY)
    )
    pending = (
        audit_rows.where((F.col("feed") == FEED) & (F.col("status") == audit.FileStatus.LOADED))
        .join(promoted, on="source_file", how="left_anti")
        .select("source_file", "delivery_date")
        .collect()
    )
    silver_path = settings.table_path(*SILVER_TABLE)
    table = ensure_table(spark, silver_path, schemas.SILVER_LAB_RESULTS)
    if not pending:
        total = spark.read.format("delta").load(silver_path).count()
        return SilverSummary(0, 0, total, table_version(spark, silver_path))

    files = [row["source_file"] for row in pending]
    dates = sorted({row["delivery_date"] for row in pending})
    bronze = read_table(spark, settings.table_path("bronze", FEED, transforms.ENTITY)).where(
        F.col("_delivery_date").isin(dates) & F.col("_source_file").isin(files)
    )
    updates = transforms.to_silver_lab_results(
        bronze, settings.pseudonym_secret, settings.now
    ).persist()
    try:
        rows_in = updates.count()
        (
            table.alias("t")
            .merge(updates.alias("s"), "t.result_id = s.result_id")
            .whenMatchedUpdateAll(condition=_NEWER)
            .whenNotMatchedInsertAll()
            .execute()
        )
    finally:
        updates.unpersist()
    promoted_at = datetime.now(UTC).replace(microsecond=0)
    spark.createDataFrame(
        [
            (FEED, transforms.ENTITY, row["source_file"], row["delivery_date"], promoted_at)
            for row in pending
        ],
        audit.PROMOTIONS_SCHEMA,
    ).write.format("delta").mode("append").save(promotions_path)
    total = spark.read.format("delta").load(silver_path).count()
    return SilverSummary(len(files), rows_in, total, table_version(spark, silver_path))


def main() -> None:
    settings = get_settings()
    spark = get_spark(settings, "epilake-lab")
    bronze = ingest_bronze(spark, settings)
    silver = promote_to_silver(spark, settings)
    print(bronze)
    print(silver)


if __name__ == "__main__":
    main()
