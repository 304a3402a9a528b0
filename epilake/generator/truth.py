"""What the generator knows to be true, written to ``<landing>/_truth/`` for tests and people."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from epilake.generator.city import AGE_BANDS, OKRUGS
from epilake.generator.lab import DETECTED, LOINC_TYPE, TEST_TYPES, LabVersions
from epilake.generator.timefmt import local_day_ordinal
from spark_jobs.lab import codes


def okrug_on(
    person: np.ndarray, day: np.ndarray, initial: np.ndarray, moves: pd.DataFrame
) -> np.ndarray:
    """Each person's okrug on a date, following the register's moves."""
    okrug = initial[person].astype(np.int64)
    if len(moves) and len(person):
        frame = pd.DataFrame(
            {"person": person, "day": day.astype(np.int64), "i": np.arange(len(person))}
        )
        movers = (
            moves.astype({"day": np.int64}).sort_values("day").rename(columns={"okrug": "moved"})
        )
        merged = pd.merge_asof(
            frame.sort_values("day"), movers, on="day", by="person", direction="backward"
        )
        has = merged["moved"].notna().to_numpy()
        okrug[merged["i"].to_numpy()[has]] = merged["moved"].to_numpy()[has].astype(np.int64)
    return okrug


def expected_tests_daily(versions: LabVersions, readable: np.ndarray) -> pd.DataFrame:
    """fct_tests_daily as a correct pipeline must compute it, from the versions it must accept."""
    ok = (versions.fault == 0) & readable
    latest = versions.take(ok).latest()
    counted = np.isin(latest.status, [codes.STATUSES.index(s) for s in codes.RESULT_STATUSES])
    latest = latest.take(counted)
    positive = (latest.outcome == DETECTED) | (
        np.nan_to_num(latest.value) >= codes.IGG_POSITIVE_THRESHOLD_BAU_ML
    )
    frame = pd.DataFrame(
        {
            "specimen_date": [
                date.fromordinal(int(d)).isoformat() for d in local_day_ordinal(latest.collected)
            ],
            "test_type": np.array(TEST_TYPES)[LOINC_TYPE[latest.loinc]],
            "positive": positive.astype(int),
        }
    )
    return (
        frame.groupby(["specimen_date", "test_type"])
        .agg(tests=("positive", "size"), positives=("positive", "sum"))
        .reset_index()
        .sort_values(["specimen_date", "test_type"])
    )


def daily_by_okrug(
    population, epidemic, moves: pd.DataFrame, identified_day: np.ndarray
) -> pd.DataFrame:
    """True infections, cases, admissions, ICU admissions, deaths and contacts per day and okrug."""
    cases, contacts = epidemic.cases, epidemic.contacts
    last = epidemic.start.toordinal() + epidemic.days - 1
    parts = []

    def add(measure, person, day, mask=None):
        if mask is not None:
            person, day = person[mask], day[mask]
        keep = day <= last
        person, day = person[keep], day[keep]
        okrug = okrug_on(person, day, population.okrug, moves)
        parts.append(pd.DataFrame({"date": day, "okrug": okrug, "measure": measure}))

    undetected_day, undetected_person = epidemic.undetected
    add(
        "infections",
        np.concatenate([cases.person, undetected_person]),
        np.concatenate([cases.day, undetected_day]),
    )
    add("cases", cases.person, cases.day)
    add("admissions", cases.person, cases.admit_day, cases.hospitalised)
    add("icu_admissions", cases.person, cases.admit_day, cases.hospitalised & cases.icu)
    add("deaths", cases.person, cases.death_day, cases.died)
    index_person = cases.person[contacts.index_case]
    add("contacts_identified", index_person, identified_day)
    frame = pd.concat(parts, ignore_index=True)
    table = frame.pivot_table(
        index=["date", "okrug"], columns="measure", aggfunc="size", fill_value=0
    )
    table = table.reset_index()
    table["date"] = [date.fromordinal(int(d)).isoformat() for d in table["date"]]
    table["okrug"] = [OKRUGS[int(o)] for o in table["okrug"]]
    columns = [
        "infections",
        "cases",
        "admissions",
        "icu_admissions",
        "deaths",
        "contacts_identified",
    ]
    for column in columns:
        if column not in table:
            table[column] = 0
    return table[["date", "okrug", *columns]].sort_values(["date", "okrug"])


def calibration(population, epidemic) -> dict:
    """The figures the epidemic was calibrated to, as generated (for the summary)."""
    cases = epidemic.cases
    n = max(len(cases.person), 1)
    bands = np.bincount(population.age_band[cases.person], minlength=len(AGE_BANDS)) / n
    days = np.bincount(cases.day - epidemic.start.toordinal(), minlength=epidemic.days)
    first_wave = days[: min(len(days), 150)]
    return {
        "cases": len(cases.person),
        "cases_per_resident": round(len(cases.person) / len(population), 5),
        "admissions_per_case": round(
            float(cases.hospitalised.mean()) if len(cases.person) else 0, 4
        ),
        "deaths_per_case": round(float(cases.died.mean()) if len(cases.person) else 0, 4),
        "case_age_mix": dict(zip(AGE_BANDS, [round(float(b), 4) for b in bands], strict=True)),
        "first_wave_peak": date.fromordinal(
            epidemic.start.toordinal() + int(first_wave.argmax())
        ).isoformat()
        if first_wave.any()
        else None,
    }


def write_truth(
    folder: Path, tests_daily: pd.DataFrame, daily: pd.DataFrame, faults, summary: dict
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tests_daily.to_csv(folder / "lab_tests_daily.csv", index=False)
    daily.to_csv(folder / "daily_by_okrug.csv", index=False)
    with (folder / "faults.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["feed", "kind", "file", "line", "record_id", "expected"])
        for fault in faults:
            writer.writerow(
                [
                    fault.feed,
                    fault.kind,
                    fault.file,
                    fault.line or "",
                    fault.record_id or "",
                    fault.expected,
                ]
            )
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
