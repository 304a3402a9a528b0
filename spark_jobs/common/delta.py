"""Thin Delta Lake I/O helpers shared by every job (the only place tables are created)."""

from __future__ import annotations

from collections.abc import Sequence

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T


def ensure_table(
    spark: SparkSession, path: str, schema: T.StructType, partition_by: Sequence[str] = ()
) -> DeltaTable:
    """Create the Delta table at ``path`` with a declared schema unless it exists."""
    builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(schema)
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
) -> None:
    """Append ``rows`` whose ``keys`` are not in the table yet (an idempotent append).

    A retried load of the same files therefore adds nothing twice. When the table is
    partitioned, the match is limited to the partitions the new rows touch.
    """
    table = ensure_table(spark, path, schema, partition_by)
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
