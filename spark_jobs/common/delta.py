"""Thin Delta Lake I/O helpers shared by every job (the only place tables are created)."""

from __future__ import annotations

from collections.abc import Sequence

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T


def ensure_table(
    spark: SparkSession, path: str, schema: T.StructType, partition_by: Sequence[str] = ()
) -> DeltaTable:
    """Create the Delta table at ``path`` with a declared schema unless it exists."""
    builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(schema)
    # Deletion vectors: a MERGE that updates a few rows marks them instead of rewriting
    # whole files, which keeps the daily incremental MERGE cheap as tables grow.
    builder = builder.property("delta.enableDeletionVectors", "true")
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


def insert_new_rows(
    spark: SparkSession,
    path: str,
    rows: DataFrame,
    keys: Sequence[str],
    schema: T.StructType,
    partition_by: Sequence[str] = (),
    sources: Sequence[str] = (),
    source_dates: Sequence = (),
) -> None:
    """Append ``rows`` whose ``keys`` are not in the table yet (an idempotent append).

    A retried load of the same files therefore adds nothing twice. When the caller names
    the ``sources`` (``_source_file`` values, delivered on ``source_dates``) and none of them
    is in the table yet, which is the normal case, a plain append does it; otherwise a MERGE on ``keys``, limited to the
    partitions the new rows touch.
    """
    table = ensure_table(spark, path, schema, partition_by)
    if sources:
        stored = spark.read.format("delta").load(path).where(F.col("_source_file").isin(*sources))
        if source_dates and partition_by == ("_delivery_date",):
            stored = stored.where(F.col("_delivery_date").isin(*source_dates))
        if stored.limit(1).count() == 0:
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


def table_version(spark: SparkSession, path: str) -> int | None:
    """The current Delta version of a table, or None when there is no table."""
    if not DeltaTable.isDeltaTable(spark, path):
        return None
    return DeltaTable.forPath(spark, path).history(1).collect()[0]["version"]
