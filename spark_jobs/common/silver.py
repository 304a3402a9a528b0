"""Bronze -> silver bookkeeping shared by every feed: which files are pending, MERGE on the
business key with the latest version winning, and the register-match flags.

Pure helpers (``latest_versions``, ``mark_register_match``) come first; I/O below them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from epilake.settings import Settings
from spark_jobs.common import audit
from spark_jobs.common.delta import ensure_table, read_table
from spark_jobs.common.ops_tables import last_commit_time, read_rows, row_count, table_version
from spark_jobs.common.window import DeliveryWindow

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


def mark_register_match(
    frame: DataFrame, patient_keys: DataFrame | None, key: str, flag: str
) -> DataFrame:
    """Set ``flag``: is ``key`` a patient of the register? (null key: null flag).

    A row whose patient the register has not delivered yet stays, flagged False; it is
    matched by ``rematch_register`` once the register catches up. The register is first
    cut down to the keys ``frame`` mentions (a semi-join), so the join that sets the flag
    is a small one.
    """
    if patient_keys is None:
        return frame.withColumn(flag, F.when(F.col(key).isNotNull(), F.lit(False)))
    wanted = frame.select(F.col(key).alias("patient_key")).where(F.col("patient_key").isNotNull())
    known = (
        patient_keys.join(wanted.distinct(), "patient_key", "left_semi")
        .distinct()
        .select(F.col("patient_key").alias("_known_key"))
    )
    joined = frame.join(known, F.col(key) == F.col("_known_key"), "left")
    return joined.withColumn(
        flag, F.when(F.col(key).isNotNull(), F.col("_known_key").isNotNull())
    ).drop("_known_key")


# Rows per silver file in a first load. The day's amendments, retractions and register
# matches mostly concern recent rows, so files cut by delivery date keep a daily MERGE to the
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
    rows_rematched: int = 0


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
    """The bronze rows of the ``pending`` files (partition-pruned by delivery date)."""
    files = [row["source_file"] for row in pending]
    dates = sorted({row["delivery_date"] for row in pending})
    return read_table(spark, settings.table_path("bronze", feed, entity)).where(
        F.col("_delivery_date").isin(dates) & F.col("_source_file").isin(files)
    )


def record_promotions(
    spark: SparkSession, settings: Settings, feed: str, entity: str, pending: Sequence
) -> None:
    promoted_at = datetime.now(UTC).replace(microsecond=0)
    spark.createDataFrame(
        [(feed, entity, row["source_file"], row["delivery_date"], promoted_at) for row in pending],
        audit.PROMOTIONS_SCHEMA,
    ).write.format("delta").mode("append").save(settings.table_path(*audit.PROMOTIONS_TABLE))


def patient_keys(spark: SparkSession, settings: Settings) -> DataFrame | None:
    """Every patient key the register has delivered (None before its first delivery)."""
    path = settings.table_path(*PATIENTS_TABLE)
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    return spark.read.format("delta").load(path).select("patient_key")


# (register path, its Delta version) -> (since, the keys promoted from then on)
_ARRIVALS: dict[tuple[str, int | None], tuple[datetime, list[str]]] = {}
_ARRIVALS_LOCK = threading.Lock()


def arrived_since(spark: SparkSession, patients_path: str, since: datetime) -> list[str]:
    """Patient keys promoted to the register from ``since`` on.

    Read once per register version and reused by every later table of the run whose own
    watermark is no earlier: a wider window only adds keys the re-match MERGE ignores
    (it flips only rows still waiting), and a Delta version never changes.
    """
    version = table_version(patients_path)
    with _ARRIVALS_LOCK:
        cached = _ARRIVALS.get((patients_path, version))
    if cached is not None and cached[0] <= since:
        return cached[1]
    keys = [
        row["patient_key"]
        for row in spark.read.format("delta")
        .load(patients_path)
        .where(F.col("_promoted_at") >= F.lit(since))
        .select("patient_key")
        .distinct()
        .collect()
    ]
    with _ARRIVALS_LOCK:
        current = _ARRIVALS.get((patients_path, version))
        if current is None or current[0] > since:
            _ARRIVALS.clear()  # older register versions are never asked for again
            _ARRIVALS[(patients_path, version)] = (since, keys)
    return keys


def rematch_register(
    spark: SparkSession, settings: Settings, path: str, flags: Sequence[tuple[str, str]]
) -> int:
    """Flip ``flag`` to True on rows whose patient the register has delivered since.

    Only patients promoted since this table's last commit can match a waiting row (every
    commit here comes after a rematch), so the register is read from that watermark on.
    Those few keys drive one MERGE per flag that finds and flips the waiting rows in the
    same pass (no separate scan of the table for them first).
    """
    patients_path = settings.table_path(*PATIENTS_TABLE)
    if table_version(path) in (None, 0) or table_version(patients_path) is None:
        return 0  # no rows to match yet, or no register yet
    arrived = arrived_since(spark, patients_path, last_commit_time(path))
    if not arrived:
        return 0
    keys = F.broadcast(spark.createDataFrame([(key,) for key in arrived], "patient_key string"))
    changed = 0
    for key, flag in flags:
        metrics = (
            DeltaTable.forPath(spark, path)
            .alias("t")
            .merge(keys.alias("s"), f"t.`{key}` = s.patient_key AND NOT t.`{flag}`")
            .whenMatchedUpdate(set={flag: F.lit(True)})
            .execute()
        )
        changed += metrics.first()["num_updated_rows"]
    return changed


@dataclass(frozen=True)
class SilverSpec:
    """How one bronze entity becomes one silver table (latest version per business key)."""

    feed: str
    entity: str
    table: str
    schema: T.StructType
    key: str
    transform: Callable[[DataFrame, str, datetime, DataFrame | None], DataFrame]
    register_flags: tuple[tuple[str, str], ...] = (("patient_key", "patient_in_register"),)

    @property
    def parts(self) -> tuple[str, str]:
        return ("silver", self.table)


def promote(
    spark: SparkSession, settings: Settings, spec: SilverSpec, window: DeliveryWindow
) -> SilverSummary:
    """MERGE the bronze rows of files not yet promoted into the silver table of ``spec``.

    Latest version wins by version time (not arrival), so late and out-of-order deliveries
    land right, and promoting the same rows twice changes nothing.
    """
    path = settings.table_path(*spec.parts)
    table = ensure_table(spark, path, spec.schema)
    rematched = rematch_register(spark, settings, path, spec.register_flags)
    pending = pending_files(settings, spec.feed, spec.entity, window)
    rows_in = 0
    if pending:
        bronze = bronze_of(spark, settings, spec.feed, spec.entity, pending)
        updates = spec.transform(
            bronze, settings.pseudonym_secret, settings.now, patient_keys(spark, settings)
        ).persist()
        try:
            rows_in = updates.count()
            if table_version(path) == 0:
                # The first load into the new (empty) table: every row is an insert.
                split_by_delivery(updates, rows_in).write.format("delta").mode("append").save(path)
            else:
                (
                    table.alias("t")
                    .merge(updates.alias("s"), f"t.`{spec.key}` = s.`{spec.key}`")
                    .whenMatchedUpdateAll(condition=NEWER_VERSION)
                    .whenNotMatchedInsertAll()
                    .execute()
                )
        finally:
            updates.unpersist()
        record_promotions(spark, settings, spec.feed, spec.entity, pending)
    return SilverSummary(
        spec.table, len(pending), rows_in, row_count(path), table_version(path), rematched
    )


def promote_many(
    spark: SparkSession,
    settings: Settings,
    specs: Sequence[SilverSpec],
    window: DeliveryWindow,
    workers: int = 2,
) -> list[SilverSummary]:
    """``promote`` several independent tables at once (results in ``specs`` order).

    A small daily delivery leaves each MERGE waiting on Spark's per-job and Delta's
    per-commit latency more than on the two cores, so two tables in flight finish sooner
    than one after the other; each writes only its own table (and appends to the promotions
    log, which concurrent blind appends do not conflict on).
    """
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="promote") as pool:
        return list(pool.map(lambda spec: promote(spark, settings, spec, window), specs))
