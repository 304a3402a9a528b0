"""The batch audit: one row per landing file the pipeline has seen, and what became of it.

``plan_file`` is the pure decision (load, skip, duplicate, conflict); job code does the I/O.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from pyspark.sql import types as T

AUDIT_TABLE = ("ops", "batch_audit")
PROMOTIONS_TABLE = ("ops", "silver_promotions")
# Feeds load on several threads of one run (the threaded executor) and all append to the
# audit and promotion tables; Delta lets blind appends commit side by side, but not two
# first commits that both create the table. The appends are small: they take turns.
OPS_APPENDS = threading.Lock()


class FileStatus(StrEnum):
    LOADED = "loaded"
    DUPLICATE_SKIPPED = "duplicate_skipped"
    CONFLICT_REJECTED = "conflict_rejected"
    FILE_QUARANTINED = "file_quarantined"


AUDIT_SCHEMA = T.StructType(
    [
        T.StructField("feed", T.StringType(), nullable=False),
        T.StructField("entity", T.StringType(), nullable=False),
        T.StructField("file_name", T.StringType(), nullable=False),
        T.StructField("source_file", T.StringType(), nullable=False),
        T.StructField("delivery_date", T.DateType()),
        T.StructField("batch_id", T.StringType()),
        T.StructField("bytes", T.LongType(), nullable=False),
        T.StructField("sha256", T.StringType(), nullable=False),
        T.StructField("records_read", T.LongType(), nullable=False),
        T.StructField("records_accepted", T.LongType(), nullable=False),
        T.StructField("records_quarantined", T.LongType(), nullable=False),
        T.StructField("status", T.StringType(), nullable=False),
        T.StructField("message", T.StringType()),
        T.StructField("ingested_at", T.TimestampType(), nullable=False),
    ]
)

PROMOTIONS_SCHEMA = T.StructType(
    [
        T.StructField("feed", T.StringType(), nullable=False),
        T.StructField("entity", T.StringType(), nullable=False),
        T.StructField("source_file", T.StringType(), nullable=False),
        T.StructField("delivery_date", T.DateType()),
        T.StructField("promoted_at", T.TimestampType(), nullable=False),
    ]
)


@dataclass
class AuditRow:
    feed: str
    entity: str
    file_name: str
    source_file: str
    delivery_date: date | None
    batch_id: str | None
    bytes: int
    sha256: str
    status: FileStatus
    message: str | None = None
    records_read: int = 0
    records_accepted: int = 0
    records_quarantined: int = 0
    ingested_at: datetime | None = None

    def as_tuple(self) -> tuple:
        return (
            self.feed,
            self.entity,
            self.file_name,
            self.source_file,
            self.delivery_date,
            self.batch_id,
            self.bytes,
            self.sha256,
            self.records_read,
            self.records_accepted,
            self.records_quarantined,
            str(self.status),
            self.message,
            self.ingested_at,
        )


@dataclass
class AuditState:
    """What the audit already knows about one feed: paths seen and loaded file names."""

    seen_paths: set[str] = field(default_factory=set)
    loaded: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (sha256, path)

    def remember_loaded(self, file_name: str, sha256: str, source_file: str) -> None:
        self.seen_paths.add(source_file)
        self.loaded[file_name] = (sha256, source_file)


def plan_file(
    state: AuditState, file_name: str, source_file: str, sha256: str
) -> tuple[FileStatus | None, str | None]:
    """Decide what a delivered file is, given what was loaded before.

    Returns ``(None, None)`` for a file to load, else the status to record and why. (A path
    already in the audit is not planned at all: the caller skips it.)
    """
    if file_name in state.loaded:
        loaded_sha, loaded_path = state.loaded[file_name]
        if loaded_sha == sha256:
            return FileStatus.DUPLICATE_SKIPPED, (
                f"{source_file} is a byte-identical re-delivery of {loaded_path}; skipped"
            )
        return FileStatus.CONFLICT_REJECTED, (
            f"{source_file} re-delivers file name {file_name} with different bytes "
            f"(sha256 {sha256[:12]}…) than the copy loaded from {loaded_path} "
            f"(sha256 {loaded_sha[:12]}…); rejected, nothing loaded was changed. Ask the sender "
            "for a new batch_id if the content really changed."
        )
    return None, None
