"""The marts' headline figures computed again in plain Python, straight from the landing files.

An independent second implementation of issue #9's definitions (new cases, 7-day PCR
positivity, COVID admissions by date and okrug): no Spark, no Delta, no SQL. Records the
contract rejects are skipped with ``epilake.contract``; a file name seen again is a
re-delivery (same bytes) or a conflict (different bytes), and only its first delivery counts.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from epilake.contract import validate_file
from spark_jobs.common.landing import decode_file, discover
from spark_jobs.lab.codes import TEST_TYPE_BY_LOINC

MOSCOW = ZoneInfo("Europe/Moscow")
REPORTABLE = {"final", "amended", "corrected"}
NOT_HAPPENED = {"planned", "cancelled", "entered-in-error"}
UNKNOWN = "unknown"


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_date(text: str) -> date:
    return instant(text).astimezone(MOSCOW).date()


def referenced_id(reference: str) -> str:
    return reference.split("/", 1)[1]


def accepted_lines(landing: Path, feed: str) -> Iterator[tuple[str, str | None]]:
    """(line, resource type) of every record the contract accepts, first deliveries only."""
    seen: set[str] = set()
    now = datetime.now(UTC)
    files = sorted(discover(landing, feed), key=lambda f: (f.delivery_date or date.min, f.path))
    for file in files:
        if file.file_name in seen:
            continue  # a re-delivery is a no-op; a conflicting one is rejected
        seen.add(file.file_name)
        violations = list(validate_file(landing, file, now))
        if any(v.line is None for v in violations):
            continue  # the whole file is quarantined
        bad = {v.line for v in violations}
        lines = decode_file(file.path, file.compressed).lines
        if feed == "register":
            yield from ((line, None) for n, line in enumerate(lines, 1) if n not in bad)
        else:
            yield from (
                (line, file.resource_type) for n, line in enumerate(lines, 1) if n not in bad
            )


def latest_versions(records: Iterator[dict]) -> list[dict]:
    """The latest version by meta.lastUpdated of each resource id."""
    latest: dict[str, dict] = {}
    for record in records:
        held = latest.get(record["id"])
        if held is None or instant(record["meta"]["lastUpdated"]) > instant(
            held["meta"]["lastUpdated"]
        ):
            latest[record["id"]] = record
    return list(latest.values())


@dataclass
class Register:
    """Each patient's okrug at the end of each local date, from the register's events."""

    changes: dict[str, list[tuple[datetime, str | None]]] = field(default_factory=dict)

    @classmethod
    def from_landing(cls, landing: Path) -> Register:
        header = None
        events: dict[str, dict] = {}
        for line, _ in accepted_lines(landing, "register"):
            if line.startswith("event_id,"):
                header = next(csv.reader([line]))
                continue
            row = dict(zip(header, next(csv.reader(io.StringIO(line))), strict=True))
            events.setdefault(row["event_id"], row)
        by_patient: dict[str, list[tuple[datetime, str | None]]] = defaultdict(list)
        for row in events.values():
            okrug = None if row["op"] == "delete" else row["okrug"]
            by_patient[row["patient_id"]].append((instant(row["event_time"]), okrug))
        return cls({patient: sorted(rows) for patient, rows in by_patient.items()})

    def okrug_on(self, patient: str, day: date) -> str:
        """The okrug of the latest event on or before the end of ``day`` (Moscow)."""
        rows = self.changes.get(patient, [])
        end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), MOSCOW)
        position = bisect.bisect_left([when for when, _ in rows], end_of_day)
        if position == 0:
            return UNKNOWN
        return rows[position - 1][1] or UNKNOWN


@dataclass(frozen=True)
class Result:
    patient: str
    test_type: str
    positive: bool
    specimen_date: date


def lab_results(landing: Path) -> list[Result]:
    observations = latest_versions(json.loads(line) for line, _ in accepted_lines(landing, "lab"))
    results = []
    for record in observations:
        if record["status"] not in REPORTABLE:
            continue
        loinc = next(c["code"] for c in record["code"]["coding"] if c["code"] in TEST_TYPE_BY_LOINC)
        if loinc == "94505-5":
            positive = (record.get("valueQuantity") or {}).get("value", 0) >= 33.8
        else:
            codes = [
                c["code"] for c in (record.get("valueCodeableConcept") or {}).get("coding", [])
            ]
            positive = "260373001" in codes
        results.append(
            Result(
                referenced_id(record["subject"]["reference"]),
                TEST_TYPE_BY_LOINC[loinc],
                positive,
                local_date(record["effectiveDateTime"]),
            )
        )
    return results


def episode_starts(results: list[Result]) -> dict[str, list[date]]:
    """Per patient, episode starts: first positive; again 91+ days after the last start."""
    positives: dict[str, list[date]] = defaultdict(list)
    for r in results:
        if r.positive and r.test_type in ("pcr", "antigen"):
            positives[r.patient].append(r.specimen_date)
    starts: dict[str, list[date]] = {}
    for patient, days in positives.items():
        starts[patient] = []
        for day in sorted(days):
            if not starts[patient] or (day - starts[patient][-1]).days >= 91:
                starts[patient].append(day)
    return starts


def new_cases(results: list[Result], register: Register) -> dict[tuple[date, str], int]:
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for patient, starts in episode_starts(results).items():
        for start in starts:
            counts[start, register.okrug_on(patient, start)] += 1
    return dict(counts)


def pcr_positivity(results: list[Result], register: Register) -> dict[tuple[date, str], float]:
    """Distinct patients positive / tested with a PCR collected in d-6..d, per okrug, in %.

    Unrounded: the mart rounds to 2 decimals, so compare within half a hundredth.
    """
    tested: dict[tuple[date, str], set[str]] = defaultdict(set)
    positive: dict[tuple[date, str], set[str]] = defaultdict(set)
    for r in results:
        if r.test_type != "pcr":
            continue
        okrug = register.okrug_on(r.patient, r.specimen_date)
        for offset in range(7):
            key = (r.specimen_date + timedelta(days=offset), okrug)
            tested[key].add(r.patient)
            if r.positive:
                positive[key].add(r.patient)
    return {key: 100.0 * len(positive[key]) / len(who) for key, who in tested.items()}


def covid_admissions(
    landing: Path, results: list[Result], register: Register
) -> dict[tuple[date, str], int]:
    """IMP stays with an episode in [start - 14, start + 2] or a U07.1/U07.2 condition in them."""
    records: dict[str, list[dict]] = defaultdict(list)
    for line, resource_type in accepted_lines(landing, "records"):
        if resource_type in ("Encounter", "Condition"):
            records[resource_type].append(json.loads(line))
    diagnosed = {
        referenced_id(c["encounter"]["reference"])
        for c in latest_versions(iter(records["Condition"]))
        if c.get("encounter")
        and c["code"]["coding"][0]["code"] in ("U07.1", "U07.2")
        and (c.get("verificationStatus") or {}).get("coding", [{}])[0].get("code")
        not in ("refuted", "entered-in-error")
    }
    starts = episode_starts(results)
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for stay in latest_versions(iter(records["Encounter"])):
        if stay["class"]["code"] != "IMP" or stay["status"] in NOT_HAPPENED:
            continue
        patient = referenced_id(stay["subject"]["reference"])
        admitted = local_date(stay["period"]["start"])
        linked = any(
            admitted - timedelta(days=14) <= start <= admitted + timedelta(days=2)
            for start in starts.get(patient, [])
        )
        if linked or stay["id"] in diagnosed:
            counts[admitted, register.okrug_on(patient, admitted)] += 1
    return dict(counts)
