"""Thin Delta Lake I/O helpers shared by every job (the only place tables are created).

Tables are created and merged with Delta's SQL (``CREATE TABLE … USING DELTA``,
``MERGE INTO``), not its Python ``DeltaTable`` API: SQL runs the same on the embedded
session and over Spark Connect, where the Python API would need Delta's Connect plugin on
the server (decision 0012).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from urllib.parse import unquote

import pyarrow as pa
from deltalake import DeltaTable as LogTable
from deltalake.exceptions import TableNotFoundError
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

# Deletion vectors: a MERGE that updates a few rows marks them instead of rewriting whole
# files, which keeps the daily incremental MERGE cheap as tables grow.
# Whole landing paths in the min/max statistics (Delta keeps 32 characters by default,
# which cuts `_source_file` inside the date): `may_hold_sources` can then tell a new
# file's rows from those of a file loaded the same day and keep the plain append.
TABLE_PROPERTIES = {
    "delta.enableDeletionVectors": "true",
    "delta.dataSkippingStringPrefixLength": "256",
}
# Bronze only appends (the architecture's contract); Delta then refuses any delete, update or
# overwrite, so no data file of the table can carry a deletion vector and the files its log
# lists are its rows (``read_appended``).
APPEND_ONLY = {"delta.appendOnly": "true"}


def table_ref(path: str) -> str:
    """The SQL name of the Delta table at ``path``."""
    return "delta.`" + path.replace("`", "``") + "`"


def is_delta_table(path: str) -> bool:
    """Whether ``path`` holds a Delta table (read from its log, no Spark job)."""
    return LogTable.is_deltatable(path)


def column_ddl(schema: T.StructType) -> str:
    """``schema`` as the column list of a ``CREATE TABLE`` (nullability kept)."""
    return ", ".join(
        f"`{f.name}` {f.dataType.simpleString()}{'' if f.nullable else ' NOT NULL'}"
        for f in schema.fields
    )


def _properties_sql(properties: dict[str, str]) -> str:
    return ", ".join(f"'{k}' = '{v}'" for k, v in properties.items())


def ensure_table(
    spark: SparkSession,
    path: str,
    schema: T.StructType,
    partition_by: Sequence[str] = (),
    extra_properties: dict[str, str] | None = None,
) -> None:
    """Create the Delta table at ``path`` with a declared schema unless it exists."""
    if is_delta_table(path):
        return
    partitions = f" PARTITIONED BY ({', '.join(partition_by)})" if partition_by else ""
    properties = _properties_sql({**TABLE_PROPERTIES, **(extra_properties or {})})
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS {table_ref(path)} ({column_ddl(schema)}) USING DELTA"
        f"{partitions} TBLPROPERTIES ({properties})"
    ).collect()


def _append_only(log: LogTable) -> bool:
    return log.metadata().configuration.get("delta.appendOnly", "false").lower() == "true"


def is_append_only(path: str) -> bool:
    """Whether Delta holds the table at ``path`` to appends only (read from its log)."""
    try:
        return _append_only(LogTable(path))
    except TableNotFoundError:
        return False


def make_append_only(spark: SparkSession, path: str) -> None:
    """Declare an existing table append-only (once: tables created before bronze was)."""
    if is_delta_table(path) and not is_append_only(path):
        spark.sql(
            f"ALTER TABLE {table_ref(path)} SET TBLPROPERTIES ({_properties_sql(APPEND_ONLY)})"
        ).collect()


def appended_files(
    path: str, partition_column: str, values: Iterable[date] | None = None
) -> list[str] | None:
    """The data files an append-only table's log lists, in the partitions ``values`` (all
    when None); None when the table is not append-only and its files may carry deletions."""
    try:
        log = LogTable(path)
    except TableNotFoundError:
        return None
    if not _append_only(log):
        return None
    actions = pa.table(log.get_add_actions(flatten=True))
    files = actions["path"].to_pylist()
    if values is not None:
        wanted = set(values)
        partitions = actions[f"partition.{partition_column}"].to_pylist()
        files = [f for f, value in zip(files, partitions, strict=True) if value in wanted]
    # The log holds paths as URIs relative to the table (percent-encoded).
    return [f"{path}/{unquote(f)}" for f in files]


def read_appended(
    spark: SparkSession,
    path: str,
    schema: T.StructType,
    partition_column: str,
    values: Iterable[date] | None = None,
) -> DataFrame:
    """The rows of an append-only table (in the partitions ``values``, all when None).

    Spark reads the Parquet files the Delta log lists (delta-rs, no Spark job) instead of
    rebuilding Delta's state of the table, which is a log replay in Spark for each version
    new to the session: about a second per bronze table and day however few rows it holds
    (decision 0027). A table not declared append-only is read through Delta.
    """
    files = appended_files(path, partition_column, values)
    if files is None:
        table = spark.read.format("delta").load(path)
        if values is not None:
            table = table.where(F.col(partition_column).isin(sorted(values)))
        return table
    if not files:
        return spark.createDataFrame([], schema)
    rows = spark.read.schema(schema).option("basePath", path).parquet(*files)
    return rows.select(*schema.fieldNames())


def merge_source_rows(path: str, after_version: int) -> int | None:
    """Source rows of the newest MERGE committed to ``path`` after ``after_version``, from
    its commit's metrics (no Spark job); None when there is none."""
    for commit in LogTable(path).history(5):
        if commit.get("version", -1) <= after_version:
            break
        metrics = commit.get("operationMetrics") or {}
        if commit.get("operation") == "MERGE" and "numSourceRows" in metrics:
            return int(metrics["numSourceRows"])
    return None


def merge_into(
    spark: SparkSession,
    path: str,
    source: DataFrame,
    on: str,
    *,
    update: bool = False,
    update_when: str | None = None,
    insert: bool = True,
) -> list[Row]:
    """``MERGE INTO`` the table at ``path`` from ``source`` (aliases ``t`` and ``s``).

    ``update``: matched rows take the source row (``UPDATE SET *``), only where
    ``update_when`` holds when it is given; ``insert``: unmatched source rows are inserted.
    Returns Delta's metrics row.
    """
    view = f"merge_source_{uuid.uuid4().hex}"
    clauses = []
    if update:
        condition = f" AND ({update_when})" if update_when else ""
        clauses.append(f"WHEN MATCHED{condition} THEN UPDATE SET *")
    if insert:
        clauses.append("WHEN NOT MATCHED THEN INSERT *")
    source.createOrReplaceTempView(view)
    try:
        return spark.sql(
            f"MERGE INTO {table_ref(path)} AS t USING {view} AS s ON {on} {' '.join(clauses)}"
        ).collect()
    finally:
        spark.catalog.dropTempView(view)


def may_hold_sources(path: str, sources: Sequence[str]) -> bool:
    """Could a file of the table hold rows of the landing files ``sources``?

    Answered from each data file's min/max ``_source_file`` in the Delta log (no Spark
    job): a new delivery's paths sort after everything loaded before, so the answer is
    almost always no. True whenever the log cannot tell (no statistics).
    """
    try:
        actions = pa.table(LogTable(path).get_add_actions(flatten=True))
    except TableNotFoundError:
        return False
    if "min._source_file" not in actions.column_names:
        return actions.num_rows > 0
    lows = actions["min._source_file"].to_pylist()
    highs = actions["max._source_file"].to_pylist()
    return any(
        low is None or high is None or any(low <= source <= high for source in sources)
        for low, high in zip(lows, highs, strict=True)
    )


def insert_new_rows(
    spark: SparkSession,
    path: str,
    rows: DataFrame,
    keys: Sequence[str],
    schema: T.StructType,
    partition_by: Sequence[str] = (),
    sources: Sequence[str] = (),
    extra_properties: dict[str, str] | None = None,
) -> None:
    """Append ``rows`` whose ``keys`` are not in the table yet (an idempotent append).

    A retried load of the same files therefore adds nothing twice. When the caller names
    the ``sources`` (``_source_file`` values) and the table cannot hold any of them, which is
    the normal case, a plain append does it; otherwise a MERGE on ``keys``, limited to the
    partitions the new rows touch.
    """
    ensure_table(spark, path, schema, partition_by, extra_properties)
    if sources and not may_hold_sources(path, sources):
        # One file per partition value and write: a daily delivery adds one file, not one
        # per task, so later scans of the whole table open hundreds of files, not thousands.
        if partition_by:
            rows = rows.repartition(*partition_by)
        rows.write.format("delta").mode("append").save(path)
        return
    condition = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
    if partition_by:
        values = rows.select(*partition_by).distinct().collect()
        for column in partition_by:
            literals = sorted({f"'{row[column]}'" for row in values})
            if literals:
                condition += f" AND t.`{column}` IN ({', '.join(literals)})"
    merge_into(spark, path, rows, condition)
