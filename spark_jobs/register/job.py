"""Register feed I/O: landing CSV -> bronze/quarantine -> SCD2 ``silver/patients``.

Run alone with ``python -m spark_jobs.register.job`` (settings from ``EPILAKE_*``).
"""

from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from epilake.settings import Settings
from spark_jobs.common.delta import ensure_table, merge_into, read_appended
from spark_jobs.common.ingest import FeedIngestor, FeedSpec, IngestSummary
from spark_jobs.common.ops_tables import row_count, table_version
from spark_jobs.common.run_alone import run_feed
from spark_jobs.common.schemas import BRONZE
from spark_jobs.common.silver import (
    PATIENTS_TABLE,
    SilverSummary,
    bronze_of,
    ensure_promotions_log,
    pending_files,
    record_promotions,
)
from spark_jobs.common.window import EVERYTHING, DeliveryWindow
from spark_jobs.register import codes, transforms
from spark_jobs.register.schemas import SILVER_PATIENTS

FEED = "register"

REGISTER_SPEC = FeedSpec(
    feed=FEED,
    entity=transforms.ENTITY,
    validate=lambda lines, now: transforms.validate_events(transforms.parse_events(lines), now),
    to_bronze=transforms.to_bronze,
    to_quarantine=transforms.to_quarantine,
    header=codes.HEADER,
)
_BUSINESS_COLUMNS = [c for c in SILVER_PATIENTS.fieldNames() if not c.startswith("_")]


def ingest_bronze(
    spark: SparkSession, settings: Settings, window: DeliveryWindow = EVERYTHING
) -> IngestSummary:
    return FeedIngestor(spark, settings, REGISTER_SPEC).run(window)


# A daily run's patients with new events are a few thousand among a million: the joins of
# their keys and stored versions with the whole table take them as a broadcast. The planner
# cannot size a checkpointed frame, so without the hint it shuffles and sorts every stored
# version (460 MiB at M) before adaptive execution finds the side small. A first load or a
# long backfill touches more patients than a broadcast should carry and joins as before.
BROADCAST_PATIENTS = 100_000


def stored_versions_of(stored: DataFrame, keys: DataFrame, *, broadcast: bool) -> DataFrame:
    """The stored versions of the patients in ``keys``."""
    return stored.join(F.broadcast(keys) if broadcast else keys, "patient_key", "left_semi")


def changed_rows(history: DataFrame, existing: DataFrame, *, broadcast: bool) -> DataFrame:
    """Versions that are new or differ from the stored ones (only these are written)."""

    def fingerprint(frame: DataFrame) -> DataFrame:
        return frame.withColumn("_fingerprint", F.xxhash64(*[F.col(c) for c in _BUSINESS_COLUMNS]))

    stored = fingerprint(existing).select("event_id", "_fingerprint")
    return (
        fingerprint(history)
        .join(
            F.broadcast(stored) if broadcast else stored, ["event_id", "_fingerprint"], "left_anti"
        )
        .drop("_fingerprint")
    )


def promote_to_silver(
    spark: SparkSession, settings: Settings, window: DeliveryWindow = EVERYTHING
) -> SilverSummary:
    """Rebuild the history of every patient with new events, and MERGE what changed.

    Rebuilding a patient's whole history from all of their bronze events is what makes a
    late or out-of-order event land in the right place; re-running changes nothing.

    The patients with new events are computed first (a small daily set that the join then
    broadcasts, so the bronze scan is one pass); the history and the changed rows are
    computed once (``localCheckpoint``): the MERGE would otherwise run the whole rebuild
    again when it materialises its source (a non-deterministic plan, ``_promoted_at``).
    They are kept on local disk, not the heap: a first load's history is millions of rows.
    """
    path = settings.table_path(*PATIENTS_TABLE)
    ensure_table(spark, path, SILVER_PATIENTS)
    ensure_promotions_log(spark, settings)
    pending = pending_files(settings, FEED, transforms.ENTITY, window)
    rows_in = 0
    if pending:
        new_events = bronze_of(spark, settings, FEED, transforms.ENTITY, pending)
        affected = new_events.select("subject_id").distinct().localCheckpoint()
        few = affected.count() <= BROADCAST_PATIENTS

        bronze = settings.table_path("bronze", FEED, transforms.ENTITY)
        events = read_appended(spark, bronze, BRONZE, "_delivery_date").join(
            affected, "subject_id", "left_semi"
        )
        history = transforms.to_patient_history(events, settings.pseudonym_secret)
        history = history.localCheckpoint(storageLevel=StorageLevel.DISK_ONLY)
        keys = history.select("patient_key").distinct()
        existing = stored_versions_of(spark.read.format("delta").load(path), keys, broadcast=few)
        changed = changed_rows(history, existing, broadcast=few).localCheckpoint(
            storageLevel=StorageLevel.DISK_ONLY
        )
        try:
            rows_in = changed.count()
            merge_into(spark, path, changed, "t.event_id = s.event_id", update=True)
        finally:
            changed.unpersist()
            history.unpersist()
        record_promotions(spark, settings, FEED, transforms.ENTITY, pending)

    return SilverSummary("patients", len(pending), rows_in, row_count(path), table_version(path))


if __name__ == "__main__":
    run_feed(FEED, ingest_bronze, promote_to_silver)
