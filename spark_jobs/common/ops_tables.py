"""Reads of bookkeeping facts without a Spark job: the small ``ops/*`` tables, and a table's
version and row count.

The audit and promotion tables hold one row per landing file; reading them through Spark
costs a job (seconds) each time a feed asks, while delta-rs reads them in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError


def read_rows(path: str, columns: Sequence[str], where: dict[str, str] | None = None) -> list[dict]:
    """The rows of a small Delta table (only ``columns``; equality filters in ``where``)."""
    try:
        table = DeltaTable(path)
    except TableNotFoundError:
        return []
    filters = [(column, "=", value) for column, value in (where or {}).items()] or None
    return table.to_pyarrow_table(columns=list(columns), filters=filters).to_pylist()


def table_version(path: str) -> int | None:
    """The current Delta version of a table from its log (None when there is no table)."""
    try:
        return DeltaTable(path).version()
    except TableNotFoundError:
        return None


def row_count(path: str) -> int:
    """Rows of a Delta table, deletion vectors applied (DuckDB's Delta reader, no Spark job)."""
    from epilake.duckdb_delta import lake_cursor

    with lake_cursor() as connection:
        return connection.execute(f"select count(*) from delta_scan('{path}')").fetchone()[0]
