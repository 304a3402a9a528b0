"""The feed contract (FEEDS.md) as a plain-Python validator.

It judges a landing file and each of its records the way the ingestion must: the same rule
names as the Spark quarantine (``json_malformed``, ``unknown_loinc`` ...). Tests use it to
prove the generator writes exactly the contract, and exactly the faults it logs.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from spark_jobs.common.fhir import FHIR_DATETIME_PATTERN, PATIENT_REFERENCE_PATTERN
from spark_jobs.common.landing import FEEDS, decode_file, discover
from spark_jobs.lab import codes
from spark_jobs.records import codes as rc
from spark_jobs.register import codes as register_codes
from spark_jobs.tracing.transforms import OUTCOMES, SETTINGS, TEST_RESULTS

REGISTER_HEADER = register_codes.HEADER
PATIENT_ID = re.compile(r"^[0-9]+$")
FHIR_DATETIME = re.compile(FHIR_DATETIME_PATTERN)
RESOURCE_CODES = {
    "Condition": (rc.ICD10_SYSTEM, set(rc.CONDITION_CODES)),
    "Observation": (rc.LOINC_SYSTEM, set(rc.VITAL_SIGNS)),
    "DiagnosticReport": (rc.LOINC_SYSTEM, {rc.CHEST_CT_CODE}),
    "Immunization": (rc.VACCINE_SYSTEM, set(rc.VACCINES)),
}
ENCOUNTER_CLASSES = set(rc.ENCOUNTER_CLASSES)
REGISTER_VALUES = {"op": set(register_codes.OPS)} | {
    column: set(values) for column, values in register_codes.ENUMERATIONS.items()
}


@dataclass(frozen=True)
class Violation:
    file: str
    line: int | None
    rule: str
    detail: str


def _instant(text) -> datetime | None:
    if not isinstance(text, str) or not FHIR_DATETIME.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _date(text) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else None
    except ValueError:
        return None


def check_lab(record: dict, now: datetime) -> tuple[str, str] | None:
    if record.get("resourceType") != "Observation":
        return "wrong_resource_type", str(record.get("resourceType"))
    if not record.get("id"):
        return "missing_id", ""
    if _instant((record.get("meta") or {}).get("lastUpdated")) is None:
        return "invalid_last_updated", ""
    if record.get("status") not in codes.STATUSES:
        return "unknown_status", str(record.get("status"))
    loinc = next(
        (
            c.get("code")
            for c in (record.get("code") or {}).get("coding", [])
            if c.get("system") == codes.LOINC_SYSTEM
        ),
        None,
    )
    if loinc not in codes.TEST_TYPE_BY_LOINC:
        return "unknown_loinc", str(loinc)
    subject = (record.get("subject") or {}).get("reference")
    if subject is None:
        return "missing_subject", ""
    if not re.match(PATIENT_REFERENCE_PATTERN, subject):
        return "invalid_subject", subject
    collected, issued = _instant(record.get("effectiveDateTime")), _instant(record.get("issued"))
    if collected is None:
        return "invalid_effective_datetime", str(record.get("effectiveDateTime"))
    if issued is None:
        return "invalid_issued", str(record.get("issued"))
    if collected > now:
        return "collected_in_future", record["effectiveDateTime"]
    if collected > issued:
        return "collected_after_issued", record["effectiveDateTime"]
    return None


def check_record(resource_type: str | None, record: dict) -> tuple[str, str] | None:
    if record.get("resourceType") != resource_type:
        return "wrong_resource_type", str(record.get("resourceType"))
    if not record.get("id"):
        return "missing_id", ""
    if _instant((record.get("meta") or {}).get("lastUpdated")) is None:
        return "invalid_last_updated", ""
    subject = (record.get("subject") or {}).get("reference")
    if subject is None:
        return "missing_subject", ""
    if not re.match(PATIENT_REFERENCE_PATTERN, subject):
        return "invalid_subject", subject
    if resource_type == "Encounter":
        code = (record.get("class") or {}).get("code")
        return None if code in ENCOUNTER_CLASSES else ("unknown_code", str(code))
    system, allowed = RESOURCE_CODES[resource_type]
    concept = record.get("vaccineCode") if resource_type == "Immunization" else record.get("code")
    found = [c.get("code") for c in (concept or {}).get("coding", []) if c.get("system") == system]
    return None if found and found[0] in allowed else ("unknown_code", str(found))


def check_tracing(record: dict) -> tuple[str, str] | None:
    for key in ("contact_id", "investigation_id", "index_patient_id", "updated_at"):
        if not record.get(key):
            return "missing_field", key
    for key in ("index_patient_id", "contact_patient_id"):
        if record.get(key) is not None and not PATIENT_ID.match(str(record[key])):
            return "invalid_patient_id", str(record[key])
    if record.get("setting") not in SETTINGS:
        return "unknown_setting", str(record.get("setting"))
    for key in ("identified_at", "updated_at"):
        if _instant(record.get(key)) is None:
            return "invalid_date", key
    if record.get("notified_at") is not None and _instant(record["notified_at"]) is None:
        return "invalid_date", "notified_at"
    for key in ("exposure_date", "quarantine_start", "quarantine_end"):
        if (record.get(key) is not None or key == "exposure_date") and _date(
            record.get(key)
        ) is None:
            return "invalid_date", key
    if record.get("test_result") not in TEST_RESULTS:
        return "unknown_test_result", str(record.get("test_result"))
    if record.get("outcome") not in OUTCOMES:
        return "unknown_outcome", str(record.get("outcome"))
    return None


def check_register(row: dict) -> tuple[str, str] | None:
    if not PATIENT_ID.match(row.get("patient_id") or ""):
        return "invalid_patient_id", str(row.get("patient_id"))
    if _instant(row.get("event_time")) is None:
        return "invalid_event_time", str(row.get("event_time"))
    if row["op"] not in REGISTER_VALUES["op"]:
        return "unknown_op", row["op"]
    if row["op"] == "delete":
        return None
    if _date(row["birth_date"]) is None:
        return "invalid_birth_date", row["birth_date"]
    for column, allowed in REGISTER_VALUES.items():
        if row[column] not in allowed:
            return f"unknown_{column}", row[column]
    return None


def validate_file(landing: Path, file, now: datetime) -> Iterator[Violation]:
    """Every contract violation of one landing file (whole-file ones end the file)."""
    relative = file.path.relative_to(landing).as_posix()
    if file.naming_error:
        yield Violation(relative, None, "bad_file_name", file.naming_error)
        return
    decoded = decode_file(file.path, file.compressed)
    if decoded.error:
        yield Violation(relative, None, decoded.rule, decoded.error)
        return
    if file.feed == "register":
        yield from _validate_register(relative, decoded.lines)
        return
    for number, line in enumerate(decoded.lines, start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            yield Violation(relative, number, "json_malformed", line[:60])
            continue
        if not isinstance(record, dict):
            yield Violation(relative, number, "json_malformed", line[:60])
            continue
        if file.feed == "lab":
            problem = check_lab(record, now)
        elif file.feed == "records":
            problem = check_record(file.resource_type, record)
        else:
            problem = check_tracing(record)
        if problem:
            yield Violation(relative, number, problem[0], problem[1])


def _validate_register(relative: str, lines: list[str]) -> Iterator[Violation]:
    if not lines or lines[0] != REGISTER_HEADER:
        yield Violation(relative, None, "bad_header", lines[0][:80] if lines else "empty file")
        return
    seen: set[str] = set()
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    for number, row in enumerate(reader, start=2):
        if None in row or len(row) != 17:
            yield Violation(relative, number, "wrong_column_count", "")
            continue
        if row["event_id"] in seen:
            yield Violation(relative, number, "duplicate_event_skipped", row["event_id"])
            continue
        seen.add(row["event_id"])
        problem = check_register(row)
        if problem:
            yield Violation(relative, number, problem[0], problem[1])


def validate_landing(landing: Path, now: datetime) -> list[Violation]:
    """Every violation in a landing folder, all feeds."""
    return [
        v
        for feed in FEEDS
        for file in discover(landing, feed)
        for v in validate_file(landing, file, now)
    ]
