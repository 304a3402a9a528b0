"""Thin Delta Lake I/O helpers shared by every job (the only place tables are created)."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
from delta.tables import DeltaTable
from deltalake import DeltaTable as LogTable
from deltalake.exceptions import TableNotFoundError
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T


def ensure_table(
    spark: SparkSession, path: str, schema: T.StructType, partition_by: Sequence[str] = ()
) -> DeltaTable:
    """Create the Delta table at ``path`` with a declared schema unless it exists."""
    builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(schema)
    # Deletion vectors: a MERGE that updates a few rows marks them instead of rewriting
    # whole files, which keeps the daily incremental MERGE cheap as tables grow.
    builder = builder.property("delta.enableDeletionVectors", "true")
    # Whole landing paths in the min/max statistics (Delta keeps 32 characters by default,
    # which cuts `_source_file` inside the date): `may_hold_sources` can then tell a new
    # file's rows from those of a file loaded the same day and keep the plain append.
    builder = builder.property("delta.dataSkippingStringPrefixLength", "256")
    if partition_by:
        builder = builder.partitionedBy(*partition_by)
    return builder.execute()


def read_table(spark: SparkSession, path: str, schema: T.StructType | None = None) -> DataFrame:
    """Read a Delta table; an absent table reads as empty with ``schema`` when given."""
    if DeltaTable.isDeltaTable(spark, path):
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
    table = ensure_table(spark, path, schema, partition_by)
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
    (table.alias("t").merge(rows.alias("s"), condition).whenNotMatchedInsertAll().execute())
