"""``ops/extract_audit``: one row per extract written, appended with delta-rs (no JVM)."""

from __future__ import annotations

import json
from datetime import datetime

import pyarrow as pa
from deltalake import write_deltalake

from epilake.settings import Settings

AUDIT_SCHEMA = pa.schema(
    [
        pa.field("partner", pa.string(), nullable=False),
        pa.field("extract", pa.string(), nullable=False),
        pa.field("as_of", pa.string()),
        pa.field("source_versions", pa.string(), nullable=False),  # JSON {table: version}
        pa.field("extracted_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("content_sha256", pa.string(), nullable=False),
    ]
)


def record_extract(
    settings: Settings,
    *,
    partner: str,
    extract: str,
    as_of: str | None,
    versions: dict[str, int],
    rows: int,
    content_sha256: str,
    extracted_at: datetime,
) -> None:
    row = {
        "partner": [partner],
        "extract": [extract],
        "as_of": [as_of],
        "source_versions": [json.dumps(versions, sort_keys=True)],
        "extracted_at": [extracted_at],
        "rows": [rows],
        "content_sha256": [content_sha256],
    }
    table = pa.Table.from_pydict(row, schema=AUDIT_SCHEMA)
    write_deltalake(settings.table_path("ops", "extract_audit"), table, mode="append")
