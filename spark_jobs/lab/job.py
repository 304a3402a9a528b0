"""Lab feed I/O: landing -> bronze/quarantine, then bronze -> silver ``lab_results``.

The only module of the lab feed that reads or writes; the logic is in ``transforms``.
Run alone with ``python -m spark_jobs.lab.job`` (settings from ``EPILAKE_*``).
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from epilake.settings import Settings
from spark_jobs.common.ingest import FeedIngestor, FeedSpec, IngestSummary
from spark_jobs.common.run_alone import run_feed
from spark_jobs.common.silver import SilverSpec, SilverSummary, promote
from spark_jobs.common.window import EVERYTHING, DeliveryWindow
from spark_jobs.lab import schemas, transforms

FEED = "lab"

LAB_SPEC = FeedSpec(
    feed=FEED,
    entity=transforms.ENTITY,
    validate=lambda lines, now: transforms.validate_observations(
        transforms.parse_observations(lines), now
    ),
    to_bronze=transforms.to_bronze,
    to_quarantine=transforms.to_quarantine,
)

LAB_RESULTS = SilverSpec(
    feed=FEED,
    entity=transforms.ENTITY,
    table="lab_results",
    schema=schemas.SILVER_LAB_RESULTS,
    key="result_id",
    transform=transforms.to_silver_lab_results,
)


def ingest_bronze(
    spark: SparkSession, settings: Settings, window: DeliveryWindow = EVERYTHING
) -> IngestSummary:
    """Load every new lab landing file in ``window`` into bronze and quarantine, and audit it."""
    return FeedIngestor(spark, settings, LAB_SPEC).run(window)


def promote_to_silver(
    spark: SparkSession, settings: Settings, window: DeliveryWindow = EVERYTHING
) -> SilverSummary:
    """MERGE the bronze rows of files not yet promoted into ``silver/lab_results``."""
    return promote(spark, settings, LAB_RESULTS, window)[0]


if __name__ == "__main__":
    run_feed(FEED, ingest_bronze, promote_to_silver)
