"""Landing -> bronze + quarantine + audit for a line-oriented feed, shared by every feed job.

A feed supplies its ``validate`` (landed lines -> lines with ``rule``/``reason``) and its
``to_bronze``; everything else (skip, duplicate, conflict, whole-file quarantine, the
reconciliation counts, idempotent writes) is the same for all feeds and lives here.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from epilake.progress import progress
from epilake.settings import Settings
from epilake.spark import is_remote
from spark_jobs.common import audit
from spark_jobs.common.delta import APPEND_ONLY, insert_new_rows, make_append_only
from spark_jobs.common.landing import LandingFile, decode_file, discover
from spark_jobs.common.ops_tables import read_rows
from spark_jobs.common.schemas import BRONZE, QUARANTINE
from spark_jobs.common.window import EVERYTHING, SMALL_DELIVERY_DAYS, DeliveryWindow

DEFAULT_CHUNK_LINES = 400_000
# Over Spark Connect the lines travel to the server as one local relation, which the server
# holds several times over in its heap while it plans the write: 400,000 lines of the M
# lab feed exhausted a 4 GiB server (decision 0012), so a remote session sends fewer.
REMOTE_CHUNK_LINES = 50_000
QUARANTINE_WRITES = threading.Lock()


@dataclass(frozen=True)
class FeedSpec:
    """How one feed entity is validated and stored."""

    feed: str
    entity: str
    validate: Callable[[DataFrame, datetime], DataFrame]
    to_bronze: Callable[[DataFrame, datetime], DataFrame]
    to_quarantine: Callable[[DataFrame, datetime], DataFrame]
    # A CSV feed's exact header line: a file without it is quarantined whole, and the
    # header is not a record (records keep their file line numbers).
    header: str | None = None
    # Which of the feed's files this entity loads (records: one resource type each).
    accepts: Callable[[LandingFile], bool] = lambda file: True


@dataclass
class IngestSummary:
    feed: str
    entity: str = ""
    files_seen: int = 0
    files_loaded: int = 0
    files_duplicate: int = 0
    files_conflict: int = 0
    files_quarantined: int = 0
    records_read: int = 0
    records_accepted: int = 0
    records_quarantined: int = 0
    messages: list[str] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.records_read == self.records_accepted + self.records_quarantined

    @classmethod
    def combine(cls, feed: str, parts: Iterable[IngestSummary]) -> IngestSummary:
        """One summary for a feed loaded entity by entity (the records feed)."""
        total = cls(feed=feed)
        for part in parts:
            for name, value in vars(part).items():
                if isinstance(value, int):
                    setattr(total, name, getattr(total, name) + value)
            total.messages.extend(part.messages)
        return total


def relative_source(settings: Settings, file: LandingFile) -> str:
    """The landing path relative to the landing root (it carries no identifier)."""
    return file.path.relative_to(settings.landing).as_posix()


def _load_audit_state(settings: Settings, feed: str) -> audit.AuditState:
    rows = read_rows(
        settings.table_path(*audit.AUDIT_TABLE),
        ["file_name", "source_file", "sha256", "status"],
        {"feed": feed},
    )
    state = audit.AuditState()
    for row in rows:
        state.seen_paths.add(row["source_file"])
        if row["status"] == audit.FileStatus.LOADED:
            state.loaded[row["file_name"]] = (row["sha256"], row["source_file"])
    return state


def _keep_aside(settings: Settings, file: LandingFile, source: str) -> str:
    target = settings.rejected_dir / source
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(file.path, target)
    return str(target)


def _lines_table(rows: list[tuple]) -> pa.Table:
    return pa.table(
        {
            "_delivery_date": pa.array([r[0] for r in rows], pa.date32()),
            "_batch_id": pa.array([r[1] for r in rows], pa.string()),
            "_source_file": pa.array([r[2] for r in rows], pa.string()),
            "_line": pa.array([r[3] for r in rows], pa.int32()),
            "raw": pa.array([r[4] for r in rows], pa.string()),
        }
    )


class FeedIngestor:
    """Loads new landing files of one feed entity into bronze and quarantine, with audit."""

    def __init__(
        self,
        spark: SparkSession,
        settings: Settings,
        spec: FeedSpec,
        chunk_lines: int | None = None,
    ) -> None:
        self.spark = spark
        self.settings = settings
        self.spec = spec
        if chunk_lines is None:
            chunk_lines = REMOTE_CHUNK_LINES if is_remote(spark) else DEFAULT_CHUNK_LINES
        self.chunk_lines = chunk_lines
        self.ingested_at = datetime.now(UTC).replace(microsecond=0)
        self.summary = IngestSummary(feed=spec.feed, entity=spec.entity)
        self._audit_rows: list[audit.AuditRow] = []
        self._pending: list[audit.AuditRow] = []
        self._lines: list[tuple] = []
        self._file_quarantine: list[tuple] = []

    # -- paths -----------------------------------------------------------------------------
    @property
    def bronze_path(self) -> str:
        return self.settings.table_path("bronze", self.spec.feed, self.spec.entity)

    @property
    def quarantine_path(self) -> str:
        return self.settings.table_path("quarantine", self.spec.feed)

    # -- the run ---------------------------------------------------------------------------
    def run(
        self,
        window: DeliveryWindow = EVERYTHING,
        files: Iterable[LandingFile] | None = None,
        *,
        write_audit: bool = True,
        show_progress: bool = True,
    ) -> IngestSummary:
        """Load the new files of this entity whose delivery date is in ``window``.

        ``write_audit=False`` leaves the audit rows of the last chunk to the caller
        (``audit_rows_left``), who writes several entities' rows in one commit.
        """
        if files is None:
            files = discover(self.settings.landing, self.spec.feed)
        files = [f for f in window.select(files) if self.spec.accepts(f)]
        state = _load_audit_state(self.settings, self.spec.feed)
        new_files = [f for f in files if relative_source(self.settings, f) not in state.seen_paths]
        self.summary.files_seen = len(files)
        if new_files:  # bronze tables created before they were declared append-only
            make_append_only(self.spark, self.bronze_path)
        description = f"{self.spec.feed}: reading landing files"
        for file in progress(new_files, description) if show_progress else new_files:
            self._take(file, state)
            if len(self._lines) >= self.chunk_lines:
                self._flush()
        self._flush(write_audit=write_audit)
        return self.summary

    def audit_rows_left(self) -> list[audit.AuditRow]:
        """The audit rows ``run(write_audit=False)`` did not write (and forgets them)."""
        rows, self._audit_rows = self._audit_rows, []
        return rows

    def _take(self, file: LandingFile, state: audit.AuditState) -> None:
        source = relative_source(self.settings, file)
        decoded = decode_file(file.path, file.compressed)
        row = audit.AuditRow(
            feed=self.spec.feed,
            entity=self.spec.entity,
            file_name=file.file_name,
            source_file=source,
            delivery_date=file.delivery_date,
            batch_id=file.batch_id,
            bytes=decoded.size_bytes,
            sha256=decoded.sha256,
            status=audit.FileStatus.LOADED,
            ingested_at=self.ingested_at,
        )
        status, message = audit.plan_file(state, file.file_name, source, decoded.sha256)
        header_error = self._header_error(decoded.lines)
        if status is None and (file.naming_error or decoded.error or header_error):
            status = audit.FileStatus.FILE_QUARANTINED
            if file.naming_error:
                rule, reason = "bad_file_name", file.naming_error
            elif decoded.error:
                rule, reason = decoded.rule, decoded.error
            else:
                rule, reason = "bad_header", header_error
            kept = _keep_aside(self.settings, file, source)
            message = f"{source}: {reason}; whole file quarantined, copy kept at {kept}"
            self._file_quarantine.append((file.delivery_date, file.batch_id, source, rule, reason))
        if status is not None:
            if status is audit.FileStatus.CONFLICT_REJECTED:
                kept = _keep_aside(self.settings, file, source)
                message = f"{message} Copy kept at {kept}."
            row.status, row.message = status, message
            self._record(row)
            return
        state.remember_loaded(file.file_name, decoded.sha256, source)
        assert decoded.lines is not None
        first = 1 if self.spec.header is None else 2
        records = decoded.lines[first - 1 :]
        row.records_read = len(records)
        self._pending.append(row)
        self._lines.extend(
            (file.delivery_date, file.batch_id, source, number, text)
            for number, text in enumerate(records, start=first)
        )

    def _header_error(self, lines: list[str] | None) -> str | None:
        if self.spec.header is None or lines is None:
            return None
        if not lines:
            return "empty file: no header line"
        if lines[0] != self.spec.header:
            return f"header is not the contract's: {lines[0][:120]!r}"
        return None

    def _record(self, row: audit.AuditRow) -> None:
        counter = {
            audit.FileStatus.LOADED: "files_loaded",
            audit.FileStatus.DUPLICATE_SKIPPED: "files_duplicate",
            audit.FileStatus.CONFLICT_REJECTED: "files_conflict",
            audit.FileStatus.FILE_QUARANTINED: "files_quarantined",
        }[row.status]
        setattr(self.summary, counter, getattr(self.summary, counter) + 1)
        self.summary.records_read += row.records_read
        self.summary.records_accepted += row.records_accepted
        self.summary.records_quarantined += row.records_quarantined
        if row.message and row.status is not audit.FileStatus.LOADED:
            self.summary.messages.append(row.message)
        self._audit_rows.append(row)

    def _flush(self, write_audit: bool = True) -> None:
        """Write the lines gathered so far; the audit is written last, so a crash re-loads."""
        if self._lines:
            self._write_records()
        if self._file_quarantine:
            rows = [
                (d, b, s, None, "file", None, None, rule, reason, self.ingested_at)
                for d, b, s, rule, reason in self._file_quarantine
            ]
            frame = self.spark.createDataFrame(rows, QUARANTINE)
            self._write_quarantine(frame, [source for _, _, source, _, _ in self._file_quarantine])
            self._file_quarantine = []
        if write_audit:
            write_audit_rows(self.spark, self.settings, self.audit_rows_left())

    def _write_records(self) -> None:
        lines = self.spark.createDataFrame(_lines_table(self._lines))
        validated = self.spec.validate(lines, self.settings.now).persist()
        sources = [row.source_file for row in self._pending]
        try:
            counts = {
                row["_source_file"]: (row["accepted"], row["quarantined"])
                for row in validated.groupBy("_source_file")
                .agg(
                    F.count_if(F.col("rule").isNull()).alias("accepted"),
                    F.count_if(F.col("rule").isNotNull()).alias("quarantined"),
                )
                .collect()
            }
            insert_new_rows(
                self.spark,
                self.bronze_path,
                self.spec.to_bronze(validated, self.ingested_at),
                keys=("_source_file", "_line"),
                schema=BRONZE,
                partition_by=("_delivery_date",),
                sources=sources,
                extra_properties=APPEND_ONLY,
            )
            if any(quarantined for _, quarantined in counts.values()):
                self._write_quarantine(
                    self.spec.to_quarantine(validated, self.ingested_at), sources
                )
        finally:
            validated.unpersist()
        for row in self._pending:
            row.records_accepted, row.records_quarantined = counts.get(row.source_file, (0, 0))
            self._record(row)
        self._pending = []
        self._lines = []

    def _write_quarantine(self, frame: DataFrame, sources: list[str]) -> None:
        # A feed's entities share its quarantine table; loading side by side, they take turns
        # (two first commits cannot both create it, and a MERGE conflicts with an append).
        with QUARANTINE_WRITES:
            insert_new_rows(
                self.spark,
                self.quarantine_path,
                frame,
                keys=("_source_file", "_line", "entity"),
                schema=QUARANTINE,
                sources=sources,
            )


def write_audit_rows(spark: SparkSession, settings: Settings, rows: list[audit.AuditRow]) -> None:
    """Append ``rows`` to the batch audit in one commit (nothing when there are none)."""
    if not rows:
        return
    frame = spark.createDataFrame([r.as_tuple() for r in rows], audit.AUDIT_SCHEMA)
    with audit.OPS_APPENDS:
        frame.write.format("delta").mode("append").save(settings.table_path(*audit.AUDIT_TABLE))


def _new_delivery_days(settings: Settings, feed: str, window: DeliveryWindow) -> set:
    """Delivery dates of the feed's files in ``window`` that the audit has not seen."""
    seen = _load_audit_state(settings, feed).seen_paths
    return {
        file.delivery_date
        for file in window.select(discover(settings.landing, feed))
        if relative_source(settings, file) not in seen
    }


def ingest_entities(
    spark: SparkSession,
    settings: Settings,
    specs: Sequence[FeedSpec],
    window: DeliveryWindow = EVERYTHING,
) -> list[IngestSummary]:
    """Load several entities of one feed (the records feed's five resource types).

    Each entity's bronze table is its own; for a small delivery they load side by side, as
    silver promotes them (the five records entities of an M day: 14 s one after the other).
    The audit rows of all of them are appended in one commit at the end: a crash before it
    re-reads the same files next run, which the idempotent bronze and quarantine writes turn
    into no change. Results in ``specs`` order.
    """
    ingestors = [FeedIngestor(spark, settings, spec) for spec in specs]
    feeds = {spec.feed for spec in specs}
    days = set().union(*(_new_delivery_days(settings, feed, window) for feed in feeds))
    if len(days) <= SMALL_DELIVERY_DAYS:
        with ThreadPoolExecutor(
            max_workers=max(1, len(specs)), thread_name_prefix="ingest"
        ) as pool:
            summaries = list(
                pool.map(lambda i: i.run(window, write_audit=False, show_progress=False), ingestors)
            )
    else:
        summaries = [i.run(window, write_audit=False) for i in ingestors]
    write_audit_rows(spark, settings, [row for i in ingestors for row in i.audit_rows_left()])
    return summaries
