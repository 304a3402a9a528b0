"""Records feed I/O: landing -> bronze/quarantine per resource type -> five silver tables.

Run alone with ``python -m spark_jobs.records.job`` (settings from ``EPILAKE_*``).
"""

from __future__ import annotations

from functools import partial

from pyspark.sql import SparkSession

from epilake.settings import Settings
from spark_jobs.common.ingest import FeedSpec, IngestSummary, ingest_entities
from spark_jobs.common.landing import RECORD_RESOURCE_TYPES, LandingFile
from spark_jobs.common.run_alone import run_feed
from spark_jobs.common.silver import SilverSpec, SilverSummary, promote_many
from spark_jobs.common.window import EVERYTHING, DeliveryWindow
from spark_jobs.records import transforms
from spark_jobs.records.transforms import RESOURCES, Resource

FEED = "records"


def _accepts(resource: Resource, file: LandingFile) -> bool:
    # Files the feed cannot route (bad names, unknown resource types) go with the first
    # resource, which quarantines them whole.
    if file.resource_type in RECORD_RESOURCE_TYPES and file.naming_error is None:
        return file.resource_type == resource.resource_type
    return resource is RESOURCES[0]


def feed_spec(resource: Resource) -> FeedSpec:
    return FeedSpec(
        feed=FEED,
        entity=resource.entity,
        validate=lambda lines, now: transforms.validate(lines, resource, now),
        to_bronze=transforms.to_bronze,
        to_quarantine=transforms.to_quarantine(resource),
        accepts=partial(_accepts, resource),
    )


def silver_spec(resource: Resource) -> SilverSpec:
    return SilverSpec(
        feed=FEED,
        entity=resource.entity,
        table=resource.table,
        schema=resource.silver_schema,
        key=resource.id_column,
        transform=lambda bronze, secret, now: transforms.to_silver(bronze, resource, secret, now),
    )


SILVER_TABLES = tuple(r.table for r in RESOURCES)


def ingest_bronze(
    spark: SparkSession, settings: Settings, window: DeliveryWindow = EVERYTHING
) -> IngestSummary:
    """Load every new records file in ``window`` into one bronze table per resource type."""
    parts = ingest_entities(spark, settings, [feed_spec(r) for r in RESOURCES], window)
    return IngestSummary.combine(FEED, parts)


def promote_to_silver(
    spark: SparkSession, settings: Settings, window: DeliveryWindow = EVERYTHING
) -> list[SilverSummary]:
    return promote_many(spark, settings, [silver_spec(r) for r in RESOURCES], window)


if __name__ == "__main__":
    run_feed(FEED, ingest_bronze, promote_to_silver)
