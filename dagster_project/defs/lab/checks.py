"""Quality gates of the lab feed, as Dagster asset checks."""

from datetime import UTC, datetime

import dagster as dg
from pyspark.sql import functions as F

from dagster_project.defs.lab.assets import BRONZE, SILVER
from dagster_project.defs.resources import EpiLakeResource, SparkResource
from expectations.runner import SuiteOutcome, validate_dataframe
from expectations.suites import silver_lab_results
from spark_jobs.common import audit
from spark_jobs.common.delta import read_table


def _audit(spark, settings):
    return read_table(spark, settings.table_path(*audit.AUDIT_TABLE), audit.AUDIT_SCHEMA).where(
        F.col("feed") == "lab"
    )


@dg.asset_check(
    asset=BRONZE,
    blocking=True,
    description="Every lab batch reconciles: records read = accepted + quarantined.",
)
def lab_batches_reconcile(epilake: EpiLakeResource, spark: SparkResource) -> dg.AssetCheckResult:
    settings = epilake.settings()
    rows = _audit(spark.session(settings), settings)
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


@dg.asset_check(
    asset=BRONZE,
    blocking=False,
    description="No lab file was re-delivered with different bytes during this run.",
)
def lab_no_conflicting_redelivery(
    context: dg.AssetCheckExecutionContext, epilake: EpiLakeResource, spark: SparkResource
) -> dg.AssetCheckResult:
    settings = epilake.settings()
    rows = _audit(spark.session(settings), settings)
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


def suite_check_result(outcome: SuiteOutcome) -> dg.AssetCheckResult:
    """A GX outcome as a check result: blocking when a critical expectation failed."""
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR
        if outcome.blocking_failures
        else dg.AssetCheckSeverity.WARN,
        description="; ".join(f.describe() for f in outcome.failures) or "all expectations met",
        metadata={
            "suite": outcome.suite,
            "rows": outcome.row_count,
            "expectations": outcome.evaluated,
            "failed": len(outcome.failures),
            "failed_blocking": len(outcome.blocking_failures),
            "failures": dg.MetadataValue.md(
                "\n".join(f"- {f.describe()}" for f in outcome.failures) or "none"
            ),
        },
    )


@dg.asset_check(
    asset=SILVER,
    blocking=True,
    name="silver__lab_results",
    description="Great Expectations suite silver__lab_results.",
)
def silver_lab_results_suite(epilake: EpiLakeResource, spark: SparkResource) -> dg.AssetCheckResult:
    settings = epilake.settings()
    frame = read_table(spark.session(settings), settings.table_path("silver", "lab_results"))
    return suite_check_result(validate_dataframe(frame, silver_lab_results.build_suite()))
