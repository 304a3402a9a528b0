"""What starts runs without a person: new landing files, the morning schedule, maintenance."""

import hashlib
from datetime import timedelta

import dagster as dg

from dagster_project.defs.partitions import add_delivery_dates, range_tags
from dagster_project.defs.pipeline import MAINTENANCE, epilake_pipeline
from dagster_project.defs.resources import EpiLakeResource, SparkResource
from epilake.landing_status import delivery_dates, delivery_range, new_landing_files
from epilake.settings import get_settings
from spark_jobs.maintenance import DEFAULT_RETENTION_HOURS, maintain_lake


@dg.sensor(
    job=epilake_pipeline, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED
)
def landing_sensor(context: dg.SensorEvaluationContext):
    """Start one run over the delivery dates of files that arrived since the last run."""
    settings = get_settings()
    files = new_landing_files(settings)
    span = delivery_range(files)
    if span is None:
        return dg.SkipReason(f"No new files under {settings.landing}.")
    names = sorted(str(f.path) for f in files)
    run_key = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
    context.log.info(f"{len(files)} new landing files, deliveries {span[0]} to {span[1]}")
    add_delivery_dates(context.instance, [d for d in delivery_dates(settings) if d <= span[1]])
    return dg.RunRequest(run_key=run_key, tags=range_tags(*span))


@dg.schedule(
    job=epilake_pipeline,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Moscow",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def morning_run(context: dg.ScheduleEvaluationContext):
    """At 06:00 Moscow: load yesterday's deliveries and rebuild marts and dashboards."""
    yesterday = (context.scheduled_execution_time - timedelta(days=1)).date()
    dates = [d for d in delivery_dates(get_settings()) if d <= yesterday]
    if yesterday not in dates:
        return dg.SkipReason(f"No delivery folder is dated {yesterday}: nothing new to load.")
    add_delivery_dates(context.instance, dates)
    return dg.RunRequest(partition_key=yesterday.isoformat())


@dg.asset(key=MAINTENANCE, group_name="ops", kinds={"spark", "delta"})
def table_maintenance(epilake: EpiLakeResource, spark: SparkResource) -> dg.MaterializeResult:
    """Compact every Delta table and vacuum files older than the retention (7 days)."""
    settings = epilake.settings()
    results = maintain_lake(spark.session(settings), settings, DEFAULT_RETENTION_HOURS)
    return dg.MaterializeResult(
        metadata={
            "tables": len(results),
            "files_before": sum(r.files_before for r in results),
            "files_after": sum(r.files_after for r in results),
            "retention_hours": DEFAULT_RETENTION_HOURS,
        }
    )


lake_maintenance = dg.define_asset_job(
    "lake_maintenance",
    selection=dg.AssetSelection.assets(MAINTENANCE),
    executor_def=dg.in_process_executor,
    description="Compact and vacuum every Delta table.",
)
weekly_maintenance = dg.ScheduleDefinition(
    job=lake_maintenance,
    cron_schedule="0 3 * * 0",
    execution_timezone="Europe/Moscow",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

defs = dg.Definitions(
    assets=[table_maintenance],
    jobs=[lake_maintenance],
    sensors=[landing_sensor],
    schedules=[morning_run, weekly_maintenance],
)
