"""Daily partitions by delivery date: the landing folder ``<feed>/<YYYY-MM-DD>/`` a file sits in.

A run covers one partition (the schedule, the sensor) or a range of them in a single run
(``epilake run``, backfills): Spark does the parallel work, so one run per day would only
add overhead.
"""

import os
from datetime import date

import dagster as dg

from spark_jobs.common.window import DeliveryWindow

# Partitions begin at the first delivery the platform accepts; an older landing folder is
# reported by ``epilake run`` with this variable named.
FIRST_DELIVERY_DATE = os.environ.get("EPILAKE_FIRST_DELIVERY_DATE", "2020-01-01")

DELIVERY_DATES = dg.DailyPartitionsDefinition(
    start_date=FIRST_DELIVERY_DATE, timezone="Europe/Moscow", end_offset=1
)
SINGLE_RUN = dg.BackfillPolicy.single_run()
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def delivery_window(context: dg.AssetExecutionContext) -> DeliveryWindow:
    """The delivery dates this run covers (one partition or a range)."""
    keys = context.partition_key_range
    return DeliveryWindow(date.fromisoformat(keys.start), date.fromisoformat(keys.end))


def range_tags(first: date, last: date) -> dict[str, str]:
    """Run tags that make one run cover partitions ``first``..``last``."""
    return {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}
