"""Thin Delta Lake I/O helpers shared by every job (the only place tables are created).

Tables are created and merged with Delta's SQL (``CREATE TABLE … USING DELTA``,
``MERGE INTO``), not its Python ``DeltaTable`` API: SQL runs the same on the embedded
session and over Spark Connect, where the Python API would need Delta's Connect plugin on
the server (decision 0012).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pyarrow as pa
from deltalake import DeltaTable as LogTable
from deltalake.exceptions import TableNotFoundError
from pyspark.sql import DataFrame, Row, SparkSession
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


def ensure_table(
    spark: SparkSession, path: str, schema: T.StructType, partition_by: Sequence[str] = ()
) -> None:
    """Create the Delta table at ``path`` with a declared schema unless it exists."""
    if is_delta_table(path):
        return
    partitions = f" PARTITIONED BY ({', '.join(partition_by)})" if partition_by else ""
    properties = ", ".join(f"'{k}' = '{v}'" for k, v in TABLE_PROPERTIES.items())
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS {table_ref(path)} ({column_ddl(schema)}) USING DELTA"
        f"{partitions} TBLPROPERTIES ({properties})"
    ).collect()


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


def read_table(spark: SparkSession, path: str, schema: T.StructType | None = None) -> DataFrame:
    """Read a Delta table; an absent table reads as empty with ``schema`` when given."""
    if is_delta_table(path):
        return spark.read.format("delta").load(path)
    if schema is None:
        raise FileNotFoundError(f"No Delta table at {path}: run the stage that writes it first.")
    return spark.createDataFrame([], schema)


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
) -> None:
    """Append ``rows`` whose ``keys`` are not in the table yet (an idempotent append).

    A retried load of the same files therefore adds nothing twice. When the caller names
    the ``sources`` (``_source_file`` values) and the table cannot hold any of them, which is
    the normal case, a plain append does it; otherwise a MERGE on ``keys``, limited to the
    partitions the new rows touch.
    """
    ensure_table(spark, path, schema, partition_by)
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
