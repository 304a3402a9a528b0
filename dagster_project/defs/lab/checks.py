"""The Great Expectations gate on silver lab results, as a blocking Dagster asset check."""

import dagster as dg

from dagster_project.defs.resources import EpiLakeResource, SparkResource
from expectations.runner import SuiteOutcome, validate_dataframe
from expectations.suites import silver__lab_results as silver_lab_results
from spark_jobs.common.delta import read_table


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
    asset=dg.AssetKey(["silver", "lab_results"]),
    blocking=True,
    name="silver__lab_results",
    description="Great Expectations suite silver__lab_results.",
)
def silver_lab_results_suite(epilake: EpiLakeResource, spark: SparkResource) -> dg.AssetCheckResult:
    settings = epilake.settings()
    frame = read_table(spark.session(settings), settings.table_path("silver", "lab_results"))
    return suite_check_result(validate_dataframe(frame, silver_lab_results.build_suite()))
