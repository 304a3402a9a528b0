"""The job that runs everything, as ``epilake run`` and the UI's launchpad both run it."""

import dagster as dg

from dagster_project.defs.pipeline.executor import threaded_executor

MAINTENANCE = dg.AssetKey(["ops", "table_maintenance"])

# One process, one SparkSession (one JVM, or one Connect session) for every step; steps that
# do not depend on each other overlap on threads (decision 0015).
epilake_pipeline = dg.define_asset_job(
    "epilake_pipeline",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(MAINTENANCE),
    executor_def=threaded_executor,
    description="Landing -> bronze/quarantine -> silver -> gates -> dbt marts -> dashboards.",
)

defs = dg.Definitions(jobs=[epilake_pipeline])
