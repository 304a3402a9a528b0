"""``ops/quality_results``: every expectation of every gate run, appended with delta-rs, so
quality can be charted over time."""

from __future__ import annotations

import threading

import pyarrow as pa
from deltalake import write_deltalake

from epilake.settings import Settings

QUALITY_SCHEMA = pa.schema(
    [
        pa.field("checked_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("asset", pa.string(), nullable=False),
        pa.field("suite", pa.string(), nullable=False),
        pa.field("expectation", pa.string(), nullable=False),
        pa.field("column", pa.string()),
        pa.field("severity", pa.string(), nullable=False),
        pa.field("success", pa.bool_(), nullable=False),
        pa.field("unexpected_count", pa.int64()),
        pa.field("observed", pa.string()),
        pa.field("rows_checked", pa.int64(), nullable=False),
    ]
)


# Gates on several threads append to the one table; the first append creates it.
_APPENDS = threading.Lock()


def append_quality_results(settings: Settings, rows: list[dict]) -> None:
    if rows:
        table = pa.Table.from_pylist(rows, schema=QUALITY_SCHEMA)
        with _APPENDS:
            write_deltalake(settings.table_path("ops", "quality_results"), table, mode="append")
