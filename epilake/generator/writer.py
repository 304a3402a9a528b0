"""Streams feed lines into ``<feed>/<YYYY-MM-DD>/<batch>.<ext>[.gz]`` and logs every fault.

Feeds hand over lines one delivery day at a time; the writer splits some days into several
batches, compresses some, writes them at once (memory stays flat) and remembers which file
each line went to, so file-level faults can be applied and accounted for afterwards.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

MAX_LINES_PER_FILE = 200_000
# Fault expectations that are handled, not quarantined: the record or file is fine as such.
NOT_QUARANTINED = frozenset(
    {"latest_version_wins", "retracted", "unmatched", "duplicate_skipped", "conflict_rejected"}
)


@dataclass
class Fault:
    """One injected fault and what a correct pipeline must make of it."""

    feed: str
    kind: str
    file: str
    line: int | None
    record_id: str | None
    expected: str


@dataclass
class FeedFile:
    feed: str
    relative: str
    compressed: bool
    lines: int


@dataclass
class FeedWriter:
    out: Path
    rng: np.random.Generator
    faults: list[Fault] = field(default_factory=list)
    files: list[FeedFile] = field(default_factory=list)
    lines_written: dict[str, int] = field(default_factory=dict)
    line_files: list[int] = field(default_factory=list)  # file index of every line written

    def write_day(
        self,
        feed: str,
        day: date,
        lines: list[str],
        record_ids: list[str],
        line_faults: dict[int, tuple[str, str]] | None = None,
        extension: str = "ndjson",
        resource: str | None = None,
        header: str | None = None,
        split: bool = True,
    ) -> None:
        """Write one delivery day of a feed; ``line_faults`` maps index -> (kind, expected)."""
        if not lines:
            return
        parts = 2 if split and len(lines) > 40 and self.rng.random() < 0.2 else 1
        parts = max(parts, -(-len(lines) // MAX_LINES_PER_FILE))
        size = -(-len(lines) // parts)
        prefix = {"lab": "lab", "records": "rec", "register": "reg", "tracing": "trc"}[feed]
        for part in range(parts):
            start = part * size
            chunk = lines[start : start + size]
            if not chunk:
                continue
            batch = f"{prefix}-{day:%Y%m%d}-{part + 1:02d}"
            compressed = self.rng.random() < 0.3
            name = f"{batch}.{resource}.{extension}" if resource else f"{batch}.{extension}"
            name += ".gz" if compressed else ""
            relative = f"{feed}/{day.isoformat()}/{name}"
            first_line = 2 if header else 1
            for offset in range(len(chunk)):
                fault = (line_faults or {}).get(start + offset)
                if fault:
                    self.faults.append(
                        Fault(
                            feed,
                            fault[0],
                            relative,
                            first_line + offset,
                            record_ids[start + offset],
                            fault[1],
                        )
                    )
            body = ((header + "\n") if header else "") + "\n".join(chunk) + "\n"
            raw = body.encode("utf-8")
            payload = gzip.compress(raw, compresslevel=1, mtime=0) if compressed else raw
            path = self.out / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(payload)
            self.files.append(FeedFile(feed, relative, compressed, len(chunk)))
            self.line_files.extend([len(self.files) - 1] * len(chunk))
            self.lines_written[feed] = self.lines_written.get(feed, 0) + len(chunk)
