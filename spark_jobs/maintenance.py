"""Delta table maintenance: compact small files, then vacuum files no version still needs.

Daily loads write many small files; compaction (OPTIMIZE) rewrites them into few large
ones so reads stay fast, and VACUUM deletes the files replaced more than the retention
ago. The retention keeps time travel (and readers in flight) safe: Delta's own default
of 7 days, never less than 1 day.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import SparkSession

from epilake.progress import progress
from epilake.settings import Settings
from spark_jobs.common.delta import table_ref

DEFAULT_RETENTION_HOURS = 168
MINIMUM_RETENTION_HOURS = 24
# Silver keeps its first load's files, cut by delivery date so a daily MERGE touches the
# newest few (decision 0010). Only files under this size (the daily MERGEs' output) are
# compacted there, into files of up to 8 times it; elsewhere Delta's defaults (1 GiB) apply.
SILVER_SMALL_FILE_BYTES = 8 * 1024 * 1024


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
    return spark.sql(f"DESCRIBE DETAIL {table_ref(path)}").collect()[0]["numFiles"]


@contextlib.contextmanager
def compaction_sizes(spark: SparkSession, small_file_bytes: int | None) -> Iterator[None]:
    """Compact only files under ``small_file_bytes`` (None: Delta's defaults) meanwhile."""
    sizes: dict[str, int] = {}
    if small_file_bytes is not None:
        sizes = {
            "spark.databricks.delta.optimize.minFileSize": small_file_bytes,
            "spark.databricks.delta.optimize.maxFileSize": 8 * small_file_bytes,
        }
    previous = {key: spark.conf.get(key, None) for key in sizes}
    for key, value in sizes.items():
        spark.conf.set(key, str(value))
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def maintain_table(
    spark: SparkSession, path: str, retention_hours: int, small_file_bytes: int | None = None
) -> MaintenanceResult:
    if retention_hours < MINIMUM_RETENTION_HOURS:
        raise ValueError(
            f"Vacuum retention of {retention_hours} h would break time travel and running "
            f"readers; use at least {MINIMUM_RETENTION_HOURS} h."
        )
    before = _live_files(spark, path)
    with compaction_sizes(spark, small_file_bytes):
        metrics = spark.sql(f"OPTIMIZE {table_ref(path)}").collect()[0]["metrics"]
    spark.sql(f"VACUUM {table_ref(path)} RETAIN {retention_hours} HOURS").collect()
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
        maintain_table(
            spark,
            str(path),
            retention_hours,
            SILVER_SMALL_FILE_BYTES
            if path.relative_to(settings.lake).parts[0] == "silver"
            else None,
        )
        for path in progress(tables, "maintaining Delta tables")
    ]
