"""Bronze -> silver bookkeeping shared by every feed: which files are pending, MERGE on the
business key with the latest version winning.

Whether a row's patient is in the register is not stored here: it changes whenever the
register delivers, so it is computed where silver is read (the dbt view
``stg_register__awaiting_rows``, the silver gates), against the register's keys (decision
0011).

Pure helpers (``latest_versions``, ``split_by_delivery``) come first; I/O below them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from epilake.settings import Settings
from spark_jobs.common import audit
from spark_jobs.common.delta import (
    ensure_table,
    is_delta_table,
    merge_into,
    merge_source_rows,
    read_appended,
)
from spark_jobs.common.ops_tables import read_rows, row_count, table_version
from spark_jobs.common.schemas import BRONZE
from spark_jobs.common.window import SMALL_DELIVERY_DAYS, DeliveryWindow

PATIENTS_TABLE = ("silver", "patients")

# A newer version replaces the stored one; equal versions go to the later delivery.
NEWER_VERSION = (
    "s.version_at > t.version_at OR (s.version_at = t.version_at AND "
    "struct(s._delivery_date, s._source_file, s._line) > "
    "struct(t._delivery_date, t._source_file, t._line))"
)


def latest_versions(df: DataFrame, key: str, version: str) -> DataFrame:
    """One row per ``key``: the highest ``version``; ties go to the later delivery, file, line."""
    order = [
        F.col(version).desc(),
        F.col("_delivery_date").desc(),
        F.col("_source_file").desc(),
        F.col("_line").desc(),
    ]
    ranked = df.withColumn("_rank", F.row_number().over(Window.partitionBy(key).orderBy(*order)))
    return ranked.where(F.col("_rank") == 1).drop("_rank")


# Rows per silver file in a first load. The day's amendments and retractions mostly concern
# recent rows, so files cut by delivery date keep a daily MERGE to the
# newest few files instead of every file of the table.
ROWS_PER_FILE = 150_000


def split_by_delivery(rows: DataFrame, row_count: int) -> DataFrame:
    """``rows`` split into files by ranges of delivery date, about ``ROWS_PER_FILE`` each."""
    files = max(1, -(-row_count // ROWS_PER_FILE))
    return rows.repartitionByRange(files, "_delivery_date", "_source_file")


# -- I/O --------------------------------------------------------------------------------------


@dataclass
class SilverSummary:
    table: str
    files_promoted: int
    rows_in: int
    rows_total: int
    table_version: int | None


# Columns earlier versions wrote and this one does not: the register-match flags, now
# computed where silver is read (decision 0011). Derived values, so dropping them loses
# nothing; any other unknown column stops the run instead.
RETIRED_COLUMNS = frozenset({"patient_in_register", "index_in_register", "contact_in_register"})


class SilverSchemaError(RuntimeError):
    """A silver table holds columns this version of EpiLake does not know."""


def retire_columns(spark: SparkSession, path: str, schema: T.StructType) -> list[str]:
    """Rewrite the table at ``path`` without its retired columns (once; returns them)."""
    existing = spark.read.format("delta").load(path)
    extra = [name for name in existing.columns if name not in schema.fieldNames()]
    unknown = sorted(set(extra) - RETIRED_COLUMNS)
    if unknown:
        raise SilverSchemaError(
            f"{path} has columns {unknown} that this version of EpiLake does not write. "
            "Rebuild silver from bronze: move the silver table and ops/silver_promotions "
            "aside, then run `epilake run` again."
        )
    if extra:
        kept = existing.drop(*extra)
        split_by_delivery(kept, kept.count()).write.format("delta").mode("overwrite").option(
            "overwriteSchema", "true"
        ).save(path)
    return extra


def pending_files(settings: Settings, feed: str, entity: str, window: DeliveryWindow) -> list[dict]:
    """Loaded files of ``feed`` in ``window`` whose rows are not yet promoted for ``entity``."""
    where = {"feed": feed, "entity": entity}
    loaded = read_rows(
        settings.table_path(*audit.AUDIT_TABLE),
        ["source_file", "delivery_date", "status"],
        where,
    )
    promoted = {
        row["source_file"]
        for row in read_rows(settings.table_path(*audit.PROMOTIONS_TABLE), ["source_file"], where)
    }
    return [
        row
        for row in loaded
        if row["status"] == audit.FileStatus.LOADED
        and row["source_file"] not in promoted
        and window.contains(row["delivery_date"])
    ]


def bronze_of(
    spark: SparkSession, settings: Settings, feed: str, entity: str, pending: Sequence
) -> DataFrame:
    """The bronze rows of the ``pending`` files (the files of their delivery dates only)."""
    files = [row["source_file"] for row in pending]
    dates = {row["delivery_date"] for row in pending}
    path = settings.table_path("bronze", feed, entity)
    rows = read_appended(spark, path, BRONZE, "_delivery_date", dates)
    return rows.where(F.col("_source_file").isin(files))


def ensure_promotions_log(spark: SparkSession, settings: Settings) -> None:
    """Create the promotion log before anything is promoted: dbt's change log
    (``int_patient_changes``) reads it in every build, even one before any delivery."""
    path = settings.table_path(*audit.PROMOTIONS_TABLE)
    if not is_delta_table(path):  # created as its first append creates it (no table features)
        with audit.OPS_APPENDS:
            empty = spark.createDataFrame([], audit.PROMOTIONS_SCHEMA)
            empty.write.format("delta").mode("append").save(path)


def record_promotions(
    spark: SparkSession, settings: Settings, feed: str, entity: str, pending: Sequence
) -> None:
    record_promotions_of(spark, settings, [(feed, entity, pending)])


def record_promotions_of(
    spark: SparkSession, settings: Settings, promoted: Sequence[tuple[str, str, Sequence]]
) -> None:
    """Log the ``(feed, entity, pending files)`` as promoted, in one append (one commit)."""
    promoted_at = datetime.now(UTC).replace(microsecond=0)
    rows = [
        (feed, entity, row["source_file"], row["delivery_date"], promoted_at)
        for feed, entity, pending in promoted
        for row in pending
    ]
    if rows:
        frame = spark.createDataFrame(rows, audit.PROMOTIONS_SCHEMA)
        with audit.OPS_APPENDS:
            frame.write.format("delta").mode("append").save(
                settings.table_path(*audit.PROMOTIONS_TABLE)
            )


@dataclass(frozen=True)
class SilverSpec:
    """How one bronze entity becomes one silver table (latest version per business key)."""

    feed: str
    entity: str
    table: str
    schema: T.StructType
    key: str
    transform: Callable[[DataFrame, str, datetime], DataFrame]

    @property
    def parts(self) -> tuple[str, str]:
        return ("silver", self.table)


def promote(
    spark: SparkSession,
    settings: Settings,
    spec: SilverSpec,
    window: DeliveryWindow,
    *,
    log_promotions: bool = True,
) -> tuple[SilverSummary, list[dict]]:
    """MERGE the bronze rows of files not yet promoted into the silver table of ``spec``.

    Latest version wins by version time (not arrival), so late and out-of-order deliveries
    land right, and promoting the same rows twice changes nothing. Returns the summary and
    the files promoted; ``log_promotions=False`` leaves logging them to the caller.
    """
    path = settings.table_path(*spec.parts)
    ensure_table(spark, path, spec.schema)
    if log_promotions:  # promote_many creates it once, before its threads
        ensure_promotions_log(spark, settings)
    if set(spark.read.format("delta").load(path).columns) - set(spec.schema.fieldNames()):
        retire_columns(spark, path, spec.schema)
    pending = pending_files(settings, spec.feed, spec.entity, window)
    rows_in = 0
    if pending:
        bronze = bronze_of(spark, settings, spec.feed, spec.entity, pending)
        updates = spec.transform(bronze, settings.pseudonym_secret, settings.now)
        version = table_version(path)
        if version == 0:
            # The first load into the new (empty) table: every row is an insert, in files
            # cut by delivery date (their count needs the rows counted first).
            updates = updates.persist()
            try:
                rows_in = updates.count()
                split_by_delivery(updates, rows_in).write.format("delta").mode("append").save(path)
            finally:
                updates.unpersist()
        else:
            # Delta materialises the MERGE's source itself and counts it in the commit:
            # a count of our own would compute the source once more (about a second a table).
            merge_into(
                spark,
                path,
                updates,
                f"t.`{spec.key}` = s.`{spec.key}`",
                update=True,
                update_when=NEWER_VERSION,
            )
            counted = merge_source_rows(path, version)
            rows_in = updates.count() if counted is None else counted
        if log_promotions:
            record_promotions(spark, settings, spec.feed, spec.entity, pending)
    summary = SilverSummary(spec.table, len(pending), rows_in, row_count(path), table_version(path))
    return summary, pending


def promote_many(
    spark: SparkSession,
    settings: Settings,
    specs: Sequence[SilverSpec],
    window: DeliveryWindow,
) -> list[SilverSummary]:
    """``promote`` several independent tables at once (results in ``specs`` order).

    A small daily delivery leaves each MERGE waiting on Spark's per-job and Delta's
    per-commit latency more than on the two cores, so tables in flight together finish
    sooner than one after the other (the five records tables of an M day: 17-18 s two at a
    time, 15 s all five); each writes only its own table. The promoted files of all tables
    are logged in one append at the end: a crash before it re-promotes the same rows next
    run, which changes nothing.
    """
    days = {
        row["delivery_date"]
        for spec in specs
        for row in pending_files(settings, spec.feed, spec.entity, window)
    }
    workers = len(specs) if len(days) <= SMALL_DELIVERY_DAYS else 2
    ensure_promotions_log(spark, settings)

    def one(spec: SilverSpec) -> tuple[SilverSummary, list[dict]]:
        return promote(spark, settings, spec, window, log_promotions=False)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="promote") as pool:
        results = list(pool.map(one, specs))
    record_promotions_of(
        spark,
        settings,
        [
            (spec.feed, spec.entity, pending)
            for spec, (_, pending) in zip(specs, results, strict=True)
        ],
    )
    return [summary for summary, _ in results]
