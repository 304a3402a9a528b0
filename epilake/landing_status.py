"""Which landing files the lake has not seen yet, read without Spark (for the sensor).

The batch audit is a Delta table; delta-rs reads it in milliseconds, so a sensor can poll
the landing zone every minute without starting a JVM.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from epilake.settings import Settings
from spark_jobs.common.audit import AUDIT_TABLE, PROMOTIONS_TABLE, FileStatus
from spark_jobs.common.landing import FEEDS, LandingFile, discover
from spark_jobs.common.ops_tables import read_rows


def audited_sources(settings: Settings) -> set[str]:
    """Landing paths (relative to the landing root) the audit has recorded."""
    rows = read_rows(settings.table_path(*AUDIT_TABLE), ["source_file"])
    return {row["source_file"] for row in rows}


def new_landing_files(settings: Settings) -> list[LandingFile]:
    """Files in the landing zone the pipeline has not processed yet."""
    seen = audited_sources(settings)
    landing: Path = settings.landing
    return [
        file
        for feed in FEEDS
        for file in discover(landing, feed)
        if file.path.relative_to(landing).as_posix() not in seen
    ]


def delivery_range(files: list[LandingFile]) -> tuple[date, date] | None:
    """The first and last delivery date among ``files`` (None when none has a date)."""
    dates = [f.delivery_date for f in files if f.delivery_date is not None]
    return (min(dates), max(dates)) if dates else None


def delivery_dates(settings: Settings) -> list[date]:
    """Every delivery date with a landing file, in order."""
    files = [f for feed in FEEDS for f in discover(settings.landing, feed)]
    return sorted({f.delivery_date for f in files if f.delivery_date is not None})


def unpromoted_dates(settings: Settings) -> set[date]:
    """Delivery dates of files loaded into bronze but not yet promoted to silver (a run
    stopped between the two layers)."""
    where = ["feed", "entity", "source_file"]
    promoted = {
        tuple(row[c] for c in where)
        for row in read_rows(settings.table_path(*PROMOTIONS_TABLE), where)
    }
    return {
        row["delivery_date"]
        for row in read_rows(settings.table_path(*AUDIT_TABLE), [*where, "delivery_date", "status"])
        if row["status"] == FileStatus.LOADED and tuple(row[c] for c in where) not in promoted
    }
