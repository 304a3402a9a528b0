"""Lab feed assets: landing -> bronze + quarantine -> silver ``lab_results``."""

import dagster as dg

from dagster_project.defs.resources import EpiLakeResource, SparkResource
from spark_jobs.lab import job

BRONZE = dg.AssetKey(["bronze", "lab", "observations"])
QUARANTINE = dg.AssetKey(["quarantine", "lab"])
SILVER = dg.AssetKey(["silver", "lab_results"])
GROUP = "lab"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            BRONZE,
            group_name=GROUP,
            kinds={"spark", "delta"},
            description="Accepted lab Observations as received, with load metadata.",
        ),
        dg.AssetSpec(
            QUARANTINE,
            group_name=GROUP,
            kinds={"spark", "delta"},
            description="Rejected lab records and files, each with rule and reason.",
        ),
    ],
)
def lab_bronze(epilake: EpiLakeResource, spark: SparkResource):
    """Load every new lab landing file; duplicates skip, conflicts are rejected and kept aside."""
    settings = epilake.settings()
    summary = job.ingest_bronze(spark.session(settings), settings)
    for message in summary.messages:
        dg.get_dagster_logger().warning(message)
    yield dg.MaterializeResult(
        asset_key=BRONZE,
        metadata={
            "files_loaded": summary.files_loaded,
            "records_read": summary.records_read,
            "records_accepted": summary.records_accepted,
            "path": dg.MetadataValue.path(settings.table_path("bronze", "lab", "observations")),
        },
    )
    yield dg.MaterializeResult(
        asset_key=QUARANTINE,
        metadata={
            "records_quarantined": summary.records_quarantined,
            "files_quarantined": summary.files_quarantined,
            "files_duplicate_skipped": summary.files_duplicate,
            "files_conflict_rejected": summary.files_conflict,
            "path": dg.MetadataValue.path(settings.table_path("quarantine", "lab")),
        },
    )


@dg.asset(key=SILVER, deps=[BRONZE], group_name=GROUP, kinds={"spark", "delta"})
def lab_results(epilake: EpiLakeResource, spark: SparkResource) -> dg.MaterializeResult:
    """Typed, pseudonymised lab results: latest version per result id, retractions applied."""
    settings = epilake.settings()
    summary = job.promote_to_silver(spark.session(settings), settings)
    return dg.MaterializeResult(
        metadata={
            "files_promoted": summary.files_promoted,
            "rows_merged": summary.rows_in,
            "row_count": summary.rows_total,
            "delta_version": summary.table_version,
            "path": dg.MetadataValue.path(settings.table_path("silver", "lab_results")),
        }
    )
