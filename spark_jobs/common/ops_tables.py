"""Reads of the small bookkeeping tables (``ops/*``) without a Spark job.

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
