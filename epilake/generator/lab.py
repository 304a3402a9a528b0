"""Synthetic lab feed: FHIR R4 Observations as NDJSON, per FEEDS.md, with honest dirt.

Every version of every result is simulated first, each fault is decided and logged, and
only then are files written; the truth (what a correct pipeline must end up with) is
computed here, in plain Python, from the versions that a correct pipeline must accept.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from epilake.generator.city import epidemic_intensity
from epilake.progress import progress
from spark_jobs.lab import codes

MSK = timezone(timedelta(hours=3))
LABS = ("lab-central", "lab-north", "lab-south", "lab-east")
TEST_MIX = (("pcr", 0.70), ("antigen", 0.20), ("antibody", 0.10))
TURNAROUND_HOURS = {"pcr": (10, 60), "antigen": (0.3, 2), "antibody": (4, 30)}
RECORD_FAULTS = {  # kind -> quarantine rule a correct pipeline must name
    "malformed_json": "json_malformed",
    "unknown_loinc": "unknown_loinc",
    "future_collection": "collected_in_future",
    "collected_after_issued": "collected_after_issued",
    "missing_subject": "missing_subject",
}


@dataclass(frozen=True)
class LabFeedConfig:
    patients: int = 20_000
    start: date = date(2020, 3, 1)
    days: int = 120
    seed: int = 42
    dirt: float = 0.01
    tests_per_1000_per_day: float = 3.0


@dataclass
class Version:
    """One version of one result, as it will be delivered."""

    result_id: str
    patient_id: str
    accession: str
    test_type: str
    loinc: str
    status: str
    result_code: str | None
    value: float | None
    collected: datetime
    issued: datetime
    last_updated: datetime
    delivery: date
    fault: str | None = None
    file: str | None = None
    line: int | None = None
    file_readable: bool = True
    lab_id: str = LABS[0]

    def fhir(self) -> dict:
        resource: dict = {
            "resourceType": "Observation",
            "id": self.result_id,
            "meta": {"lastUpdated": _instant(self.last_updated)},
            "identifier": [{"system": "urn:epilake:accession", "value": self.accession}],
            "status": self.status,
            "code": {"coding": [{"system": codes.LOINC_SYSTEM, "code": self.loinc}]},
            "subject": {"reference": f"Patient/{self.patient_id}"},
            "effectiveDateTime": _instant(self.collected),
            "issued": _instant(self.issued),
            "performer": [{"reference": f"Organization/{self.lab_id}"}],
        }
        if self.result_code is not None:
            resource["valueCodeableConcept"] = {
                "coding": [{"system": codes.SNOMED_SYSTEM, "code": self.result_code}]
            }
        if self.value is not None:
            resource["valueQuantity"] = {
                "value": self.value,
                "unit": "BAU/mL",
                "system": "http://unitsofmeasure.org",
                "code": "[BAU]/mL",
            }
        return resource


@dataclass
class Fault:
    kind: str
    file: str
    line: int | None
    record_id: str | None
    expected: str


@dataclass
class LabTruth:
    records_written: int = 0
    files_written: int = 0
    faults: list[Fault] = field(default_factory=list)
    tests_daily: dict[tuple[date, str], list[int]] = field(default_factory=dict)


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _simulate(config: LabFeedConfig, rng: random.Random) -> list[Version]:
    last_day = config.start + timedelta(days=config.days - 1)
    versions: list[Version] = []
    sequence = 0
    peak = max(epidemic_intensity(config.start + timedelta(days=d)) for d in range(config.days))
    days = [config.start + timedelta(days=d) for d in range(config.days)]
    for day in progress(days, "lab: simulating results"):
        intensity = epidemic_intensity(day) / max(peak, 1e-9)
        expected = config.patients * config.tests_per_1000_per_day / 1000 * (0.3 + intensity)
        for _ in range(_poisson(rng, expected)):
            sequence += 1
            version = _new_result(config, rng, day, intensity, sequence)
            versions.extend(
                v for v in _with_revisions(rng, version, config.dirt) if v.delivery <= last_day
            )
    return versions


def _poisson(rng: random.Random, mean: float) -> int:
    # Normal approximation is exact enough for the counts used here and keeps this fast.
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    count, threshold, product = 0, pow(2.718281828459045, -mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _new_result(
    config: LabFeedConfig, rng: random.Random, day: date, intensity: float, sequence: int
) -> Version:
    test_type = rng.choices([t for t, _ in TEST_MIX], weights=[w for _, w in TEST_MIX])[0]
    group = {
        "pcr": codes.PCR_CODES,
        "antigen": codes.ANTIGEN_CODES,
        "antibody": codes.ANTIBODY_CODES,
    }[test_type]
    loinc = rng.choice(group)
    collected = datetime(day.year, day.month, day.day, tzinfo=MSK) + timedelta(
        minutes=rng.randint(7 * 60, 21 * 60)
    )
    low, high = TURNAROUND_HOURS[test_type]
    issued = collected + timedelta(minutes=round(rng.uniform(low, high) * 60))
    positive_share = 0.03 + 0.25 * intensity if test_type != "antibody" else 0.08 + 0.2 * intensity
    positive = rng.random() < positive_share
    result_code, value = None, None
    if loinc == codes.IGG_QUANTITY_CODE:
        value = round(rng.uniform(40, 400) if positive else rng.uniform(0.5, 30), 1)
    elif rng.random() < 0.01:
        result_code = codes.INCONCLUSIVE
    else:
        result_code = codes.DETECTED if positive else codes.NOT_DETECTED
    return Version(
        result_id=f"obs-{config.seed}-{sequence:08d}",
        patient_id=str(7_700_000_000 + rng.randrange(config.patients)),
        accession=f"ACC{sequence:09d}",
        test_type=test_type,
        loinc=loinc,
        status="final",
        result_code=result_code,
        value=value,
        collected=collected,
        issued=issued,
        last_updated=issued,
        delivery=issued.date(),
        lab_id=rng.choice(LABS),
    )


def _with_revisions(rng: random.Random, original: Version, dirt: float) -> list[Version]:
    """The result's versions: sometimes preliminary first, amended or retracted later."""
    versions = [original]
    if original.test_type == "pcr" and rng.random() < 0.03:
        preliminary = _revise(original, status="preliminary", hours=-2)
        preliminary.result_code, preliminary.value = None, None
        versions.insert(0, preliminary)
    draw = rng.random()
    if draw < dirt:
        versions.append(_revise(original, status="entered-in-error", hours=rng.randint(20, 60)))
    elif draw < 3 * dirt:
        amended = _revise(original, status="amended", hours=rng.randint(20, 60))
        if amended.value is not None:
            amended.value = round(amended.value * 1.5 + 10, 1)
        elif amended.result_code == codes.DETECTED:
            amended.result_code = codes.NOT_DETECTED
        else:
            amended.result_code = codes.DETECTED
        versions.append(amended)
        if rng.random() < 0.5:  # the original arrives late, after its amendment
            original.delivery = amended.delivery + timedelta(days=rng.randint(1, 3))
    return versions


def _revise(original: Version, status: str, hours: int) -> Version:
    moment = original.last_updated + timedelta(hours=hours)
    revised = Version(**{**asdict(original), "status": status, "last_updated": moment})
    revised.delivery = max(moment.date(), original.issued.date())
    return revised


def _apply_record_fault(version: Version, kind: str) -> dict | str:
    resource = version.fhir()
    if kind == "unknown_loinc":
        resource["code"]["coding"][0]["code"] = "1234-5"
    elif kind == "future_collection":
        resource["effectiveDateTime"] = "2099-01-01T10:00:00+03:00"
        resource["issued"] = "2099-01-02T10:00:00+03:00"
    elif kind == "collected_after_issued":
        resource["effectiveDateTime"] = _instant(version.issued + timedelta(hours=3))
    elif kind == "missing_subject":
        del resource["subject"]
    elif kind == "malformed_json":
        text = json.dumps(resource, separators=(",", ":"))
        return text[: len(text) // 2]
    return resource


def _serialise(version: Version) -> str:
    payload = _apply_record_fault(version, version.fault) if version.fault else version.fhir()
    return payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))


def generate_lab_feed(out: Path, config: LabFeedConfig) -> LabTruth:
    """Write ``<out>/lab/<date>/<batch>.ndjson[.gz]`` and ``<out>/_truth/lab_*``."""
    rng = random.Random(config.seed)
    versions = _simulate(config, rng)
    truth = LabTruth()
    fault_kinds = sorted(RECORD_FAULTS)
    for version in versions:
        if rng.random() < config.dirt:
            version.fault = rng.choice(fault_kinds)

    by_day: dict[date, list[Version]] = defaultdict(list)
    for version in versions:
        by_day[version.delivery].append(version)
    written: list[tuple[Path, bytes]] = []
    for day in sorted(by_day):
        batch = sorted(by_day[day], key=lambda v: (v.last_updated, v.result_id))
        parts = 2 if len(batch) > 20 and rng.random() < 0.2 else 1
        size = -(-len(batch) // parts)
        for part in range(parts):
            chunk = batch[part * size : (part + 1) * size]
            compressed = rng.random() < 0.3
            name = f"lab-{day:%Y%m%d}-{part + 1:02d}.ndjson" + (".gz" if compressed else "")
            relative = f"lab/{day.isoformat()}/{name}"
            for number, version in enumerate(chunk, start=1):
                version.file, version.line = relative, number
                if version.fault:
                    truth.faults.append(
                        Fault(
                            version.fault,
                            relative,
                            number,
                            version.result_id,
                            RECORD_FAULTS[version.fault],
                        )
                    )
            body = "".join(_serialise(v) + "\n" for v in chunk).encode("utf-8")
            payload = gzip.compress(body, mtime=0) if compressed else body
            written.append((out / relative, payload))

    if config.dirt > 0 and len(written) > 4:
        written.extend(_file_faults(out, written, versions, truth, rng))
    for path, payload in written:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
    truth.files_written = len(written)
    truth.records_written = len(versions)
    truth.tests_daily = _expected_tests_daily(versions)
    _write_truth(out / "_truth", truth, config)
    return truth


def _file_faults(
    out: Path,
    written: list[tuple[Path, bytes]],
    versions: list[Version],
    truth: LabTruth,
    rng: random.Random,
) -> list[tuple[Path, bytes]]:
    """A byte-identical re-delivery, a conflicting one, and one truncated gzip file."""
    extra = []
    later = written[-1][0].parent.name
    originals = [(p, b) for p, b in written if p.parent.name != later]
    source, payload = originals[rng.randrange(len(originals) // 2)]
    duplicate = out / "lab" / later / source.name
    extra.append((duplicate, payload))
    truth.faults.append(
        Fault(
            "redelivered_identical",
            duplicate.relative_to(out).as_posix(),
            None,
            None,
            "duplicate_skipped",
        )
    )
    source, payload = originals[rng.randrange(len(originals) // 2, len(originals))]
    conflict = out / "lab" / later / source.name
    extra.append((conflict, payload + b"\n" if not source.name.endswith(".gz") else payload[:-1]))
    truth.faults.append(
        Fault(
            "redelivered_conflicting",
            conflict.relative_to(out).as_posix(),
            None,
            None,
            "conflict_rejected",
        )
    )
    gz_files = [i for i, (p, _) in enumerate(written) if p.name.endswith(".gz")]
    if gz_files:
        index = gz_files[rng.randrange(len(gz_files))]
        path, payload = written[index]
        written[index] = (path, payload[: len(payload) // 2])
        relative = path.relative_to(out).as_posix()
        for version in versions:
            if version.file == relative:
                version.file_readable = False
        truth.faults.append(Fault("truncated_gzip", relative, None, None, "bad_gzip"))
    return extra


def _expected_tests_daily(versions: list[Version]) -> dict[tuple[date, str], list[int]]:
    """fct_tests_daily as a correct pipeline must compute it, from the accepted versions."""
    latest: dict[str, Version] = {}
    for version in versions:
        if version.fault or not version.file_readable:
            continue
        current = latest.get(version.result_id)
        if current is None or version.last_updated > current.last_updated:
            latest[version.result_id] = version
    daily: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for version in latest.values():
        if version.status not in codes.RESULT_STATUSES:
            continue
        positive = (
            version.value >= codes.IGG_POSITIVE_THRESHOLD_BAU_ML
            if version.value is not None
            else version.result_code == codes.DETECTED
        )
        counts = daily[(version.collected.date(), version.test_type)]
        counts[0] += 1
        counts[1] += int(positive)
    return dict(daily)


def _write_truth(folder: Path, truth: LabTruth, config: LabFeedConfig) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "lab_tests_daily.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["specimen_date", "test_type", "tests", "positives"])
        for (day, test_type), (tests, positives) in sorted(truth.tests_daily.items()):
            writer.writerow([day.isoformat(), test_type, tests, positives])
    with (folder / "lab_faults.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "file", "line", "record_id", "expected"])
        for fault in truth.faults:
            writer.writerow(
                [fault.kind, fault.file, fault.line or "", fault.record_id or "", fault.expected]
            )
    summary = {
        "config": {k: str(v) for k, v in asdict(config).items()},
        "records_written": truth.records_written,
        "files_written": truth.files_written,
        "faults": len(truth.faults),
    }
    (folder / "lab_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
