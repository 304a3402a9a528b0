"""Per-feed ingestion gates, as Dagster asset checks on the feed's bronze asset."""

from datetime import UTC, datetime

import dagster as dg
from pyspark.sql import functions as F

from dagster_project.defs.feeds.assets import FEEDS, Feed
from dagster_project.defs.resources import EpiLakeResource, SparkResource
from spark_jobs.common import audit
from spark_jobs.common.delta import read_table


def _audit(spark, settings, feed: str):
    return read_table(spark, settings.table_path(*audit.AUDIT_TABLE), audit.AUDIT_SCHEMA).where(
        F.col("feed") == feed
    )


def _reconcile_check(feed: Feed) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=feed.bronze_keys[0],
        name=f"{feed.name}_batches_reconcile",
        blocking=True,
        description=f"Every {feed.name} batch reconciles: records read = accepted + quarantined.",
    )
    def reconcile(epilake: EpiLakeResource, spark: SparkResource) -> dg.AssetCheckResult:
        settings = epilake.settings()
        rows = _audit(spark.session(settings), settings, feed.name)
        broken = rows.where(
            F.col("records_read") != F.col("records_accepted") + F.col("records_quarantined")
        )
        examples = [r["source_file"] for r in broken.select("source_file").limit(5).collect()]
        totals = rows.agg(
            F.sum("records_read").alias("read"),
            F.sum("records_accepted").alias("accepted"),
            F.sum("records_quarantined").alias("quarantined"),
        ).collect()[0]
        return dg.AssetCheckResult(
            passed=not examples,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "batches_not_reconciling": len(examples),
                "examples": ", ".join(examples) or "none",
                "records_read": int(totals["read"] or 0),
                "records_accepted": int(totals["accepted"] or 0),
                "records_quarantined": int(totals["quarantined"] or 0),
            },
        )

    return reconcile


def _conflict_check(feed: Feed) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=feed.bronze_keys[0],
        name=f"{feed.name}_no_conflicting_redelivery",
        blocking=False,
        description=f"No {feed.name} file was re-delivered with different bytes in this run.",
    )
    def no_conflict(
        context: dg.AssetCheckExecutionContext, epilake: EpiLakeResource, spark: SparkResource
    ) -> dg.AssetCheckResult:
        settings = epilake.settings()
        rows = _audit(spark.session(settings), settings, feed.name)
        record = context.instance.get_run_record_by_id(context.run.run_id)
        started = datetime.fromtimestamp(int(record.start_time or 0), UTC).replace(tzinfo=None)
        conflicts = [
            r["message"]
            for r in rows.where(
                (F.col("ingested_at") >= F.lit(started))
                & (F.col("status") == audit.FileStatus.CONFLICT_REJECTED)
            ).collect()
        ]
        return dg.AssetCheckResult(
            passed=not conflicts,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"conflicts": len(conflicts), "details": "\n".join(conflicts) or "none"},
        )

    return no_conflict


CHECKS = [factory(feed) for feed in FEEDS for factory in (_reconcile_check, _conflict_check)]
