"""GX suites ``bronze__<feed>__<entity>``: every bronze table holds records exactly as received,
each traceable to its batch, file and line."""

from __future__ import annotations

from expectations import thresholds
from expectations.suites.common import (
    WARN,
    between,
    e,
    required,
    suite,
    unique,
)
from spark_jobs.common.schemas import BRONZE


def suite_name(feed: str, entity: str) -> str:
    return f"bronze__{feed}__{entity}"


def build_suite(feed: str, entity: str):
    return suite(
        suite_name(feed, entity),
        [
            e.ExpectTableColumnsToMatchSet(
                column_set=[*BRONZE.fieldNames(), "_feed_lag_days"], exact_match=True
            ),
            *required("raw", "record_id", "_batch_id", "_source_file", "_delivery_date"),
            e.ExpectColumnValuesToMatchRegex(column="_record_hash", regex=r"^[0-9a-f]{64}$"),
            between("_line", 1),
            unique("record_id", "_record_hash", severity=WARN),  # one version, delivered once
            # freshness: the feed's newest delivery against the run date
            e.ExpectColumnMaxToBeBetween(
                column="_feed_lag_days", max_value=thresholds.MAX_FEED_LAG_DAYS, severity=WARN
            ),
        ],
    )
