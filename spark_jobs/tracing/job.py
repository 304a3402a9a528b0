"""Tracing feed I/O: landing JSON Lines -> bronze/quarantine -> ``silver/contacts``.

Run alone with ``python -m spark_jobs.tracing.job`` (settings from ``EPILAKE_*``).
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from epilake.settings import Settings
from spark_jobs.common.ingest import FeedIngestor, FeedSpec, IngestSummary
from spark_jobs.common.run_alone import run_feed
from spark_jobs.common.silver import SilverSpec, SilverSummary, promote
from spark_jobs.common.window import EVERYTHING, DeliveryWindow
from spark_jobs.tracing import schemas, transforms

FEED = "tracing"

TRACING_SPEC = FeedSpec(
    feed=FEED,
    entity=transforms.ENTITY,
    validate=lambda lines, now: transforms.validate_contacts(transforms.parse_contacts(lines), now),
    to_bronze=transforms.to_bronze,
    to_quarantine=transforms.to_quarantine,
)
CONTACTS = SilverSpec(
    feed=FEED,
    entity=transforms.ENTITY,
    table="contacts",
    schema=schemas.SILVER_CONTACTS,
    key="contact_id",
    transform=transforms.to_silver_contacts,
)


def ingest_bronze(
    spark: SparkSession, settings: Settings, window: DeliveryWindow = EVERYTHING
) -> IngestSummary:
    return FeedIngestor(spark, settings, TRACING_SPEC).run(window)


def promote_to_silver(
    spark: SparkSession, settings: Settings, window: DeliveryWindow = EVERYTHING
) -> SilverSummary:
    return promote(spark, settings, CONTACTS, window)[0]


if __name__ == "__main__":
    run_feed(FEED, ingest_bronze, promote_to_silver)
