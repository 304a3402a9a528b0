"""Landing-zone discovery and file decoding (FEEDS.md: ``<feed>/<YYYY-MM-DD>/<batch_id>.<ext>[.gz]``).

Pure Python on purpose: a file must be judged whole (readable gzip? UTF-8? the same bytes
as an earlier delivery of the same name?) before any of its records reach Spark.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

FEEDS = ("lab", "records", "register", "tracing")
FEED_EXTENSIONS = {"lab": "ndjson", "records": "ndjson", "register": "csv", "tracing": "jsonl"}
RECORD_RESOURCE_TYPES = (
    "Encounter",
    "Condition",
    "Observation",
    "DiagnosticReport",
    "Immunization",
)
_BATCH_ID = r"[A-Za-z0-9_-]+"
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class LandingFile:
    """One delivered file and what its path says about it."""

    feed: str
    delivery_date: date | None
    path: Path
    batch_id: str | None
    resource_type: str | None
    compressed: bool
    naming_error: str | None = None

    @property
    def file_name(self) -> str:
        """The name that identifies the file within its feed."""
        return self.path.name


@dataclass(frozen=True)
class DecodedFile:
    """A file's bytes judged whole: either lines, or the reason it cannot be read."""

    sha256: str
    size_bytes: int
    lines: list[str] | None
    error: str | None
    rule: str | None


def parse_landing_path(feed: str, path: Path) -> LandingFile:
    """Interpret ``<date>/<name>`` under a feed folder, flagging names that break the contract."""
    date_dir = path.parent.name
    name = path.name
    compressed = name.endswith(".gz")
    base = name[:-3] if compressed else name
    ext = FEED_EXTENSIONS[feed]
    pattern = (
        rf"^(?P<batch>{_BATCH_ID})\.(?P<rtype>[A-Za-z]+)\.{ext}$"
        if feed == "records"
        else rf"^(?P<batch>{_BATCH_ID})\.{ext}$"
    )
    match = re.match(pattern, base)
    delivery = None
    error = None
    if _DATE_DIR.match(date_dir):
        try:
            delivery = date.fromisoformat(date_dir)
        except ValueError:
            error = f"delivery folder {date_dir!r} is not a calendar date"
    else:
        error = f"delivery folder {date_dir!r} is not YYYY-MM-DD"
    if match is None and error is None:
        error = f"file name {name!r} does not match <batch_id>.{ext}[.gz] for feed {feed!r}"
    rtype = match.groupdict().get("rtype") if match else None
    if feed == "records" and match and error is None and rtype not in RECORD_RESOURCE_TYPES:
        error = (
            f"resource type {rtype!r} in {name!r} is not one the records feed carries "
            f"({', '.join(RECORD_RESOURCE_TYPES)})"
        )
    return LandingFile(
        feed=feed,
        delivery_date=delivery,
        path=path,
        batch_id=match.group("batch") if match else None,
        resource_type=rtype,
        compressed=compressed,
        naming_error=error,
    )


def discover(landing: Path, feed: str) -> list[LandingFile]:
    """Every file delivered for a feed, oldest delivery date first, then by name."""
    root = landing / feed
    if not root.is_dir():
        return []
    files = [
        parse_landing_path(feed, p)
        for p in root.glob("*/*")
        if p.is_file() and not p.name.startswith(".")
    ]
    return sorted(files, key=lambda f: (str(f.delivery_date or ""), f.file_name))


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` or ``\\r\\n``; a final newline does not make an extra record."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def decode_file(path: Path, compressed: bool) -> DecodedFile:
    """Read a landing file whole: sha256 of its bytes, then gzip and UTF-8 decoding."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    payload = raw
    if compressed:
        try:
            payload = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            return DecodedFile(digest, len(raw), None, f"unreadable gzip: {exc}", "bad_gzip")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return DecodedFile(
            digest, len(raw), None, f"not UTF-8 at byte {exc.start}: {exc.reason}", "not_utf8"
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    return DecodedFile(digest, len(raw), split_lines(text), None, None)


def iter_feed_files(landing: Path, feeds: tuple[str, ...] = FEEDS) -> Iterator[LandingFile]:
    for feed in feeds:
        yield from discover(landing, feed)
