"""The job that runs everything, as ``epilake run`` and the UI's launchpad both run it."""

import dagster as dg

MAINTENANCE = dg.AssetKey(["ops", "table_maintenance"])

# In-process: one SparkSession (one JVM) serves every step, which is what a 2-core
# embedded machine can afford; on a cluster the Spark work leaves the process anyway.
epilake_pipeline = dg.define_asset_job(
    "epilake_pipeline",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(MAINTENANCE),
    executor_def=dg.in_process_executor,
    description="Landing -> bronze/quarantine -> silver -> gates -> dbt marts -> dashboards.",
)

defs = dg.Definitions(jobs=[epilake_pipeline])
