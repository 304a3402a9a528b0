"""``python -m spark_jobs.<feed>.job``: one feed's ingestion outside Dagster, for debugging."""

from __future__ import annotations

from collections.abc import Callable

from epilake.settings import get_settings
from epilake.spark import get_spark


def run_feed(feed: str, ingest_bronze: Callable, promote_to_silver: Callable) -> None:
    """Load the feed's new landing files and promote them, printing both summaries."""
    settings = get_settings()
    spark = get_spark(settings, f"epilake-{feed}")
    print(ingest_bronze(spark, settings))
    print(promote_to_silver(spark, settings))
