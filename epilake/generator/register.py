"""The integral patient register as CSV change events (FEEDS.md), full state per row.

The initial load upserts every resident; later events follow the epidemic: suspected ->
confirmed -> recovered or deceased, contact -> quarantine ended, immune status after
vaccination, recovery or a positive antibody test, moves between okrugs and removals.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from epilake.generator.city import OKRUGS
from epilake.generator.identity import address, full_name, phone, policy_number
from epilake.generator.population import SEX_CODES, Population
from epilake.generator.timefmt import local_day_ordinal, local_instant, minute_of_ordinal
from epilake.generator.writer import FeedWriter
from spark_jobs.register.codes import HEADER

COVID = ("none", "suspected", "confirmed", "recovered", "deceased")
CONTACT = ("none", "contact", "quarantine_ended")
IMMUNE = ("none", "vaccinated", "recovered", "antibodies")
RECORD_FAULTS = {
    "unknown_okrug": "unknown_okrug",
    "invalid_birth_date": "invalid_birth_date",
    "duplicate_event": "duplicate_event_skipped",
}


def _changes(person, minute, covid=-1, contact=-1, immune=-1, okrug=-1, op=0) -> pd.DataFrame:
    n = len(person)
    return pd.DataFrame(
        {
            "person": np.asarray(person, np.int64),
            "minute": np.asarray(minute, np.int64),
            "covid": np.full(n, covid, np.int8) if np.isscalar(covid) else covid,
            "contact": np.full(n, contact, np.int8),
            "immune": np.full(n, immune, np.int8),
            "okrug": np.full(n, okrug, np.int16) if np.isscalar(okrug) else okrug,
            "op": np.full(n, op, np.int8),
        }
    )


def build_events(
    population: Population,
    epidemic,
    case_issued: np.ndarray,
    identified: np.ndarray,
    vaccinations: dict,
    antibody_positive: tuple[np.ndarray, np.ndarray],
    active: np.ndarray,
    start: date,
    days: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Change events with each patient's full state after the event, and the okrug moves."""
    cases, contacts = epidemic.cases, epidemic.contacts
    last = start.toordinal() + days - 1
    recovered_day = np.where(
        cases.hospitalised,
        cases.discharge_day,
        cases.day + rng.integers(14, 22, size=len(cases.day)),
    )
    symptomatic = cases.symptomatic
    frames = [
        _changes(
            cases.person[symptomatic],
            case_issued[symptomatic] - rng.integers(600, 2000, size=int(symptomatic.sum())),
            covid=1,
        ),
        _changes(cases.person, case_issued, covid=2),
        _changes(
            cases.person[~cases.died],
            minute_of_ordinal(recovered_day[~cases.died], 12 * 60),
            covid=3,
            immune=2,
        ),
        _changes(
            cases.person[cases.died],
            minute_of_ordinal(cases.death_day[cases.died], 10 * 60),
            covid=4,
        ),
    ]
    registered = contacts.person >= 0
    frames.append(_changes(contacts.person[registered], identified[registered], contact=1))
    frames.append(
        _changes(
            contacts.person[registered],
            minute_of_ordinal(contacts.exposure_day[registered] + 14, 9 * 60),
            contact=2,
        )
    )
    if vaccinations:
        done = (vaccinations["dose"] == 2) | (vaccinations["vaccine"] == 1)
        frames.append(
            _changes(
                vaccinations["person"][done],
                minute_of_ordinal(vaccinations["day"][done], 18 * 60),
                immune=1,
            )
        )
    frames.append(_changes(antibody_positive[0], antibody_positive[1] + 60, immune=3))
    movers = rng.choice(len(population), size=len(population) // 100, replace=False)
    move_day = start.toordinal() + rng.integers(1, days, size=len(movers))
    alive = move_day < epidemic.dead_from[movers]
    movers, move_day = movers[alive], move_day[alive]
    frames.append(
        _changes(
            movers,
            minute_of_ordinal(move_day, 16 * 60),
            okrug=rng.integers(0, len(OKRUGS), size=len(movers)).astype(np.int16),
        )
    )
    events = pd.concat(frames, ignore_index=True)
    events = events[local_day_ordinal(events["minute"].to_numpy()) <= last]
    active = active.copy()
    active[events["person"].to_numpy()] = True
    untouched = np.flatnonzero(~active)
    leavers = rng.choice(untouched, size=min(len(untouched), len(population) // 500), replace=False)
    leave_day = start.toordinal() + rng.integers(1, days, size=len(leavers))
    events = pd.concat(
        [events, _changes(leavers, minute_of_ordinal(leave_day, 15 * 60), op=1)], ignore_index=True
    )
    moved = events[(events["okrug"] >= 0) & (events["op"] == 0)]
    moves = pd.DataFrame(
        {
            "person": moved["person"].to_numpy(),
            "day": local_day_ordinal(moved["minute"].to_numpy()),
            "okrug": moved["okrug"].to_numpy(),
        }
    )
    return _full_state(population, events), moves


def _full_state(population: Population, events: pd.DataFrame) -> pd.DataFrame:
    """Forward-fill each patient's state across their events (time order, then creation order)."""
    events = events.reset_index(drop=True)
    events["seq"] = np.arange(len(events))
    events = events.sort_values(["person", "minute", "seq"], kind="stable").reset_index(drop=True)
    for column in ("covid", "contact", "immune", "okrug"):
        values = events[column].astype("float").where(events[column] >= 0)
        events[column] = values.groupby(events["person"]).ffill()
    events["covid_since"] = events["minute"].where(
        events["covid"].notna() & (events.groupby("person")["covid"].diff().fillna(1) != 0)
    )
    events["covid_since"] = events.groupby("person")["covid_since"].ffill()
    initial_okrug = population.okrug[events["person"].to_numpy()]
    events["moved"] = events["okrug"].notna()
    events["okrug"] = (
        events["okrug"].fillna(pd.Series(initial_okrug, index=events.index)).astype(int)
    )
    for column in ("covid", "contact", "immune"):
        events[column] = events[column].fillna(0).astype(int)
    return events.sort_values(["minute", "seq"], kind="stable").reset_index(drop=True)


def _row(
    population: Population,
    event_id: str,
    minute: int,
    op: str,
    person: int,
    okrug: int,
    moved: bool,
    covid: int,
    contact: int,
    immune: int,
    since: str,
) -> str:
    pid = population.patient_id[person]
    if op == "delete":
        return f"{event_id},{local_instant(minute)},delete,{pid},,,,,,,,,,,,,"
    sex = SEX_CODES[population.sex[person]]
    last, first, middle = full_name(person, sex)
    okrug_code = OKRUGS[okrug]
    return (
        f"{event_id},{local_instant(minute)},upsert,{pid},{policy_number(person)},{last},{first},"
        f"{middle},{population.birth_date(person).isoformat()},{sex},{okrug_code},"
        f'"{address(person, okrug_code, moved)}",{phone(person)},{COVID[covid]},{CONTACT[contact]},'
        f"{IMMUNE[immune]},{since}"
    )


def corrupt(line: str, kind: str) -> str:
    fields = line.split(",")
    if kind == "unknown_okrug":
        fields[10] = "XAO"
    elif kind == "invalid_birth_date":
        fields[8] = fields[8][:5] + "02-30"
    return ",".join(fields)


def write_register(
    writer: FeedWriter,
    population: Population,
    events: pd.DataFrame,
    start: date,
    seed: int,
    dirt: float,
    rng: np.random.Generator,
) -> int:
    """The initial load on the first day, then each day's events; returns rows written."""
    initial_minute = minute_of_ordinal(start.toordinal() - 1, 21 * 60)
    since = start.isoformat()
    lines = [
        _row(
            population,
            f"evt-{seed}-init-{i:08d}",
            initial_minute,
            "upsert",
            i,
            int(population.okrug[i]),
            False,
            0,
            0,
            0,
            since,
        )
        for i in range(len(population))
    ]
    ids = [f"{seed}-init-{i}" for i in range(len(population))]
    writer.write_day("register", start, lines, ids, extension="csv", header=HEADER)
    delivery = local_day_ordinal(events["minute"].to_numpy())
    delivery = np.maximum(delivery, start.toordinal())
    records = events.to_dict("list")
    order = np.argsort(delivery, kind="stable")
    kinds = list(RECORD_FAULTS)
    fault_draw = rng.random(len(order)) < dirt
    fault_kind = rng.integers(0, len(kinds), size=len(order))
    for chunk in np.split(order, np.flatnonzero(np.diff(delivery[order])) + 1):
        if not len(chunk):
            continue
        day = date.fromordinal(int(delivery[chunk[0]]))
        lines, ids, faults = [], [], {}
        for i in chunk:
            i = int(i)
            since_minute = records["covid_since"][i]
            since_text = local_instant(since_minute)[:10] if since_minute == since_minute else since
            line = _row(
                population,
                f"evt-{seed}-{i:09d}",
                records["minute"][i],
                "delete" if records["op"][i] else "upsert",
                records["person"][i],
                records["okrug"][i],
                records["moved"][i],
                records["covid"][i],
                records["contact"][i],
                records["immune"][i],
                since_text,
            )
            if fault_draw[i] and not records["op"][i]:
                kind = kinds[fault_kind[i]]
                if kind == "duplicate_event":
                    faults[len(lines) + 1] = (kind, RECORD_FAULTS[kind])
                    lines.extend([line, line])
                    ids.extend([f"evt-{seed}-{i:09d}"] * 2)
                    continue
                faults[len(lines)] = (kind, RECORD_FAULTS[kind])
                line = corrupt(line, kind)
            lines.append(line)
            ids.append(f"evt-{seed}-{i:09d}")
        writer.write_day("register", day, lines, ids, faults, extension="csv", header=HEADER)
    return len(population) + len(events)
