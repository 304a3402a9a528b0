"""Epidemiological investigations as JSON Lines: each contact sent twice (open, then closed)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np

from epilake.generator.epidemic import SETTINGS, Epidemic
from epilake.generator.identity import contact_name, contact_phone
from epilake.generator.population import Population
from epilake.generator.timefmt import (
    date_of_ordinal,
    local_day_ordinal,
    local_instant,
    minute_of_ordinal,
)
from epilake.generator.writer import FeedWriter

RECORD_FAULTS = {"malformed_json": "json_malformed", "unknown_setting": "unknown_setting"}


def identification_minutes(epidemic: Epidemic, case_issued: np.ndarray, rng) -> np.ndarray:
    """When each contact was identified: hours after the index case's positive result."""
    index = epidemic.contacts.index_case
    return case_issued[index] + rng.integers(2 * 60, 48 * 60, size=len(index))


def build_versions(
    epidemic: Epidemic,
    identified: np.ndarray,
    tested: np.ndarray,
    last_day: int,
    rng: np.random.Generator,
) -> dict:
    contacts, cases = epidemic.contacts, epidemic.cases
    n = len(contacts.person)
    delay = rng.random(n)
    notified = np.where(
        delay < 0.85,
        identified + rng.integers(10, 24 * 60, size=n),
        np.where(delay < 0.95, identified + rng.integers(24 * 60, 72 * 60, size=n), -1),
    )
    lost = ~contacts.became_case & (rng.random(n) < 0.03)
    case_day_of_contact = np.full(n, -1, dtype=np.int64)
    traced_cases = np.flatnonzero(cases.from_contact >= 0)
    case_day_of_contact[cases.from_contact[traced_cases]] = cases.day[traced_cases]
    closed_at = np.where(
        contacts.became_case,
        minute_of_ordinal(case_day_of_contact + 1, 12 * 60),
        minute_of_ordinal(contacts.exposure_day + 14, 10 * 60),
    )
    closed_at = np.maximum(closed_at, identified + 60)
    result = np.where(contacts.became_case, 1, np.where(tested & (contacts.person >= 0), 2, 0))
    outcome = np.where(contacts.became_case, 1, np.where(lost, 3, 2))
    row = np.arange(n)
    opening = {"row": row, "updated": identified, "final": np.zeros(n, bool)}
    closing_in_window = local_day_ordinal(closed_at) <= last_day
    closing = {
        "row": row[closing_in_window],
        "updated": closed_at[closing_in_window],
        "final": np.ones(int(closing_in_window.sum()), bool),
    }
    versions = {k: np.concatenate([opening[k], closing[k]]) for k in opening}
    versions.update(identified=identified, notified=notified, result=result, outcome=outcome)
    return versions


def format_contact(population: Population, epidemic: Epidemic, v: dict, i: int, seed: int) -> str:
    contacts, cases = epidemic.contacts, epidemic.cases
    row = int(v["row"][i])
    final = bool(v["final"][i])
    person = int(contacts.person[row])
    index_person = int(cases.person[contacts.index_case[row]])
    notified = int(v["notified"][row])
    shown_notified = notified >= 0 and (final or notified <= v["updated"][i])
    record = {
        "contact_id": f"con-{seed}-{row:09d}",
        "investigation_id": f"inv-{seed}-{contacts.index_case[row]:08d}",
        "index_patient_id": str(population.patient_id[index_person]),
        "contact_patient_id": str(population.patient_id[person]) if person >= 0 else None,
        "contact_name": contact_name(row),
        "contact_phone": contact_phone(row),
        "setting": SETTINGS[contacts.setting[row]],
        "exposure_date": date_of_ordinal(contacts.exposure_day[row]),
        "identified_at": local_instant(v["identified"][row]),
        "notified_at": local_instant(notified) if shown_notified else None,
        "quarantine_start": date_of_ordinal(local_day_ordinal(v["identified"][row])),
        "quarantine_end": date_of_ordinal(contacts.exposure_day[row] + 14),
        "test_result": ("not_tested", "positive", "negative")[v["result"][row]]
        if final
        else "not_tested",
        "outcome": ("in_progress", "became_case", "completed_quarantine", "lost_to_follow_up")[
            v["outcome"][row]
        ]
        if final
        else "in_progress",
        "updated_at": local_instant(v["updated"][i]),
    }
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def corrupt(line: str, kind: str) -> str:
    if kind == "malformed_json":
        return line[: len(line) // 2]
    record = json.loads(line)
    record["setting"] = "cinema-club"
    return json.dumps(record, separators=(",", ":"))


def write_tracing(
    writer: FeedWriter,
    population: Population,
    epidemic: Epidemic,
    versions: dict,
    start: date,
    last_day: int,
    seed: int,
    dirt: float,
    rng: np.random.Generator,
) -> int:
    """Write each contact version on its day; versions after the last day are not sent yet."""
    delivery = np.maximum(local_day_ordinal(versions["updated"]), start.toordinal())
    order = np.lexsort((versions["updated"], delivery))
    order = order[delivery[order] <= last_day]
    kinds = list(RECORD_FAULTS)
    draw = rng.random(len(versions["row"])) < dirt
    which = rng.integers(0, len(kinds), size=len(versions["row"]))
    for chunk in np.split(order, np.flatnonzero(np.diff(delivery[order])) + 1):
        if not len(chunk):
            continue
        day = date.fromordinal(int(delivery[chunk[0]]))
        lines, ids, faults = [], [], {}
        for n, i in enumerate(chunk):
            line = format_contact(population, epidemic, versions, int(i), seed)
            if draw[i]:
                kind = kinds[which[i]]
                faults[n] = (kind, RECORD_FAULTS[kind])
                line = corrupt(line, kind)
            lines.append(line)
            ids.append(f"con-{seed}-{int(versions['row'][i]):09d}")
        writer.write_day("tracing", day, lines, ids, faults, extension="jsonl")
    return len(order)
