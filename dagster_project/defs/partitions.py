"""Partitions by delivery date: the landing folder ``<feed>/<YYYY-MM-DD>/`` a file sits in.

Dynamic partitions, one per delivery date that has files, not a daily calendar from a fixed
first day: a landing zone that reaches back years (an e-records feed sending each patient's
history since 2010) needs no setting, and a run over ten years of dates with a few files
records a few partitions, not 3,650 (decision 0031).

A run covers one partition (the schedule, the sensor) or a range of them in a single run
(``epilake run``, backfills): Spark does the parallel work, so one run per day would only
add overhead.
"""

from collections.abc import Iterable
from datetime import date

import dagster as dg

from spark_jobs.common.window import DeliveryWindow

DELIVERY_DATES = dg.DynamicPartitionsDefinition(name="delivery_dates")
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


def add_delivery_dates(instance: dg.DagsterInstance, dates: Iterable[date]) -> None:
    """Make each date a partition, the partitions kept in date order.

    A range run takes the partitions stored between its first and last key, so the order
    is the calendar's: a date older than the newest partition (a late history delivery)
    makes the partitions be stored again, sorted. Materialisations are recorded by key and
    outlive that.
    """
    name = DELIVERY_DATES.name
    stored = instance.get_dynamic_partitions(name)
    wanted = sorted(set(stored) | {d.isoformat() for d in dates})
    if wanted[: len(stored)] == stored:
        if len(wanted) > len(stored):
            instance.add_dynamic_partitions(name, wanted[len(stored) :])
        return
    for key in stored:
        instance.delete_dynamic_partition(name, key)
    instance.add_dynamic_partitions(name, wanted)
