"""Delta table maintenance: compact small files, then vacuum files no version still needs.

Daily loads write many small files; compaction (OPTIMIZE) rewrites them into few large
ones so reads stay fast, and VACUUM deletes the files replaced more than the retention
ago. The retention keeps time travel (and readers in flight) safe: Delta's own default
of 7 days, never less than 1 day.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from epilake.progress import progress
from epilake.settings import Settings

DEFAULT_RETENTION_HOURS = 168
MINIMUM_RETENTION_HOURS = 24


@dataclass
class MaintenanceResult:
    table: str
    files_before: int
    files_after: int
    files_compacted: int


def delta_tables(lake: Path) -> list[Path]:
    """Every Delta table under the lake (a folder holding a ``_delta_log``)."""
    return sorted(log.parent for log in lake.rglob("_delta_log") if log.is_dir())


def _live_files(spark: SparkSession, path: str) -> int:
    return DeltaTable.forPath(spark, path).detail().collect()[0]["numFiles"]


def maintain_table(spark: SparkSession, path: str, retention_hours: int) -> MaintenanceResult:
    if retention_hours < MINIMUM_RETENTION_HOURS:
        raise ValueError(
            f"Vacuum retention of {retention_hours} h would break time travel and running "
            f"readers; use at least {MINIMUM_RETENTION_HOURS} h."
        )
    table = DeltaTable.forPath(spark, path)
    before = _live_files(spark, path)
    metrics = table.optimize().executeCompaction().collect()[0]["metrics"]
    table.vacuum(float(retention_hours))
    after = _live_files(spark, path)
    return MaintenanceResult(
        table=path,
        files_before=before,
        files_after=after,
        files_compacted=int(metrics["numFilesRemoved"]),
    )


def maintain_lake(
    spark: SparkSession, settings: Settings, retention_hours: int = DEFAULT_RETENTION_HOURS
) -> list[MaintenanceResult]:
    """Compact and vacuum every Delta table of the lake."""
    tables = delta_tables(settings.lake)
    return [
        maintain_table(spark, str(path), retention_hours)
        for path in progress(tables, "maintaining Delta tables")
    ]
