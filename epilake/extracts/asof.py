"""Pin every source table to one Delta version, so an extract can be rebuilt bit for bit."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from deltalake import DeltaTable

LOCAL = ZoneInfo("Europe/Moscow")


class AsOfError(ValueError):
    """An --as-of the lake cannot serve; the message says what to do instead."""


AsOf = datetime | int | dict[str, int] | None


def parse_as_of(text: str | None) -> AsOf:
    """``None`` (now), a Delta version of the extract's primary table, a date (end of that
    Moscow day), an ISO date-time, or an earlier extract's ``manifest.json`` (its exact
    source versions: the way to rebuild that extract bit for bit)."""
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    if text.endswith(".json"):
        try:
            versions = json.loads(Path(text).read_text())["source_versions"]
        except (OSError, ValueError, KeyError) as error:
            raise AsOfError(f"--as-of {text}: not a readable extract manifest ({error}).") from None
        return {table.removeprefix("silver/"): int(v) for table, v in versions.items()}
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1), time(), LOCAL) - timedelta(
                microseconds=1
            )
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AsOfError(
            f"--as-of {text!r} is neither a Delta version (e.g. 12), a date (2021-03-01) "
            "nor an ISO date-time (2021-03-01T06:00:00+03:00)."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _commits(path: Path) -> list[tuple[int, datetime]]:
    """(version, commit time) of every commit of a table, oldest first."""
    history = DeltaTable(str(path)).history()
    commits = [
        (entry["version"], datetime.fromtimestamp(entry["timestamp"] / 1000, UTC))
        for entry in history
    ]
    return sorted(commits)


def pin_versions(
    silver: Path, tables: tuple[str, ...], primary: str, as_of: AsOf
) -> dict[str, int]:
    """The Delta version of each table as of the given moment, primary-table version or
    manifest."""
    missing = [t for t in tables if not (silver / t / "_delta_log").is_dir()]
    if missing:
        raise AsOfError(f"No silver table {', '.join(missing)} under {silver}: run the pipeline.")
    if as_of is None:
        return {table: DeltaTable(str(silver / table)).version() for table in tables}
    if isinstance(as_of, dict):
        absent = [t for t in tables if t not in as_of]
        if absent:
            raise AsOfError(f"The manifest pins no version of {', '.join(absent)}.")
        return {table: as_of[table] for table in tables}
    if isinstance(as_of, int):
        # A version of the primary table stands for the lake until that table next changed:
        # the other tables as they were just before its next commit (or now, if none).
        commits = _commits(silver / primary)
        versions = [version for version, _ in commits]
        if as_of not in versions:
            raise AsOfError(
                f"silver/{primary} has no version {as_of} (versions {min(versions)}..."
                f"{max(versions)}); pass one of those, or a date."
            )
        later = [when for version, when in commits if version > as_of]
        if not later:
            return {table: DeltaTable(str(silver / table)).version() for table in tables}
        moment = min(later) - timedelta(microseconds=1)
        return {**_pin_at(silver, tables, moment), primary: as_of}
    return _pin_at(silver, tables, as_of)


def _pin_at(silver: Path, tables: tuple[str, ...], moment: datetime) -> dict[str, int]:
    """Each table's latest version committed at or before ``moment``."""
    pinned = {}
    for table in tables:
        before = [version for version, when in _commits(silver / table) if when <= moment]
        if not before:
            raise AsOfError(
                f"silver/{table} did not exist yet at {moment.isoformat()}; choose a later --as-of."
            )
        pinned[table] = max(before)
    return pinned
