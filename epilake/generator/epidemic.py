"""The epidemic behind every feed: who becomes a case when, how ill, whom they met.

Vectorised with numpy: one loop over days, arrays inside. Detected cases follow
``city.epidemic_intensity`` scaled so that cases per resident by 19 October 2020 match
Moscow's; their age mix matches Moscow's case age mix; severity rises steeply with age,
calibrated to the published admissions and deaths per case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from epilake.generator import city
from epilake.generator.population import Population

# By age band 0-17, 18-45, 46-65, 66-79, 80+. With Moscow's case age mix these give about
# 0.37 admissions and 0.016 deaths per case (city.ADMISSIONS_PER_CASE, DEATHS_PER_CASE).
HOSPITALISED = np.array([0.06, 0.21, 0.46, 0.71, 0.80])
ICU_IF_HOSPITALISED = np.array([0.02, 0.04, 0.09, 0.17, 0.24])
DIES = np.array([0.0001, 0.0012, 0.009, 0.055, 0.15])
SYMPTOMATIC = 0.8
# Contacts per case by setting: mean count (households largest) and secondary attack rate.
SETTINGS = ("household", "work", "education", "transport", "social", "healthcare", "other")
CONTACTS_MEAN = np.array([2.0, 1.2, 0.5, 0.3, 0.8, 0.15, 0.25])
ATTACK_RATE = np.array([0.17, 0.05, 0.06, 0.02, 0.06, 0.03, 0.03])
UNREGISTERED_CONTACT = 0.08
REINFECTION_AFTER_DAYS = 180
DEAD_NEVER = 10**9
CALIBRATION_END = date(2020, 10, 19)


@dataclass
class Cases:
    """One element per case episode."""

    person: np.ndarray  # index into the population
    day: np.ndarray  # ordinal of the specimen (case) date
    symptomatic: np.ndarray  # bool
    hospitalised: np.ndarray  # bool
    admit_day: np.ndarray  # ordinal; meaningful where hospitalised
    discharge_day: np.ndarray  # ordinal
    icu: np.ndarray  # bool
    died: np.ndarray  # bool
    death_day: np.ndarray  # ordinal; meaningful where died
    from_contact: np.ndarray  # int64 contact row that became this case, -1 if none


@dataclass
class Contacts:
    """One element per traced index-case/contact pair."""

    index_case: np.ndarray  # row in Cases
    person: np.ndarray  # index into the population, -1 when not in the register
    setting: np.ndarray  # index into SETTINGS
    exposure_day: np.ndarray  # ordinal
    became_case: np.ndarray  # bool


@dataclass
class Epidemic:
    start: date
    days: int
    cases: Cases
    contacts: Contacts
    # Per person: the date ordinal of death, or DEAD_NEVER. Nothing happens to them after it.
    dead_from: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    # Infected contacts never detected as cases (the day's cap, or a recent episode): (day, person).
    undetected: tuple[np.ndarray, np.ndarray] = field(
        default_factory=lambda: (np.empty(0, np.int64), np.empty(0, np.int64))
    )


def case_scale(start: date, patients: int) -> float:
    """Cases per unit of intensity per day, so cases by 19 Oct 2020 match Moscow's rate."""
    span = (CALIBRATION_END - city.EPIDEMIC_START).days + 1
    total = sum(
        city.epidemic_intensity(city.EPIDEMIC_START + timedelta(days=d)) for d in range(span)
    )
    return patients * city.CASES_PER_RESIDENT_BY_2020_10_19 / total


def _case_weights(population: Population) -> np.ndarray:
    """Per-person weight so that sampled cases follow Moscow's case age mix."""
    ratio = np.array(city.CASE_AGE_SHARE) / np.array(city.POPULATION_AGE_SHARE)
    weights = ratio[population.age_band]
    return np.cumsum(weights / weights.sum())


def simulate(population: Population, start: date, days: int, rng: np.random.Generator) -> Epidemic:
    """Cases day by day; a share of each day's cases comes from earlier cases' contacts."""
    n = len(population)
    scale = case_scale(start, n)
    cumulative = _case_weights(population)
    last_case_day = np.full(n, -(10**9), dtype=np.int64)
    dead_from = np.full(n, DEAD_NEVER, dtype=np.int64)
    case_rows: list[dict[str, np.ndarray]] = []
    contact_chunks: list[tuple] = []
    # Infected contacts waiting out their incubation: ready day -> [(contact rows, people)].
    incubating: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    contact_offset = case_offset = 0
    empty = np.empty(0, np.int64)
    missed: list[tuple[np.ndarray, np.ndarray]] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        ordinal = day.toordinal()
        expected = scale * city.epidemic_intensity(day)
        wanted = int(rng.poisson(expected)) if expected > 0 else 0
        ready = incubating.pop(ordinal, [])
        traced_rows = np.concatenate([r for r, _ in ready]) if ready else empty
        traced = np.concatenate([p for _, p in ready]) if ready else empty
        keep = ordinal - last_case_day[traced] >= REINFECTION_AFTER_DAYS
        traced, traced_rows = traced[keep], traced_rows[keep]
        _, first = np.unique(traced, return_index=True)
        first = np.sort(first)
        missed.append((np.full(len(first[wanted:]), ordinal), traced[first[wanted:]]))
        first = first[:wanted]  # the day's total caps the traced cases too
        traced, traced_rows = traced[first], traced_rows[first]
        drawn = _draw_cases(rng, cumulative, last_case_day, ordinal, wanted - len(traced), traced)
        people = np.concatenate([traced, drawn])
        if len(people) == 0:
            continue
        last_case_day[people] = ordinal
        source = np.concatenate([traced_rows, np.full(len(drawn), -1)])
        outcome = _outcomes(rng, population, people, ordinal, source)
        case_rows.append(outcome)
        dead = people[outcome["died"]]
        dead_from[dead] = outcome["death_day"][outcome["died"]]
        last_case_day[dead] = DEAD_NEVER  # never drawn again
        chunk = _contacts_of(rng, people, ordinal, case_offset, cumulative, dead_from)
        contact_chunks.append(chunk)
        rows = contact_offset + np.arange(len(chunk[0]))
        contact_offset += len(chunk[0])
        case_offset += len(people)
        infected = chunk[4] & (chunk[1] >= 0)
        ready_day = chunk[3][infected] + rng.integers(3, 10, size=int(infected.sum()))
        for when in np.unique(ready_day):
            pick = ready_day == when
            incubating.setdefault(int(when), []).append(
                (rows[infected][pick], chunk[1][infected][pick])
            )
    cases = (
        Cases(**{f: np.concatenate([r[f] for r in case_rows]) for f in Cases.__dataclass_fields__})
        if case_rows
        else _no_cases()
    )
    contacts = _stack_contacts(contact_chunks)
    contacts.became_case[:] = False
    became = cases.from_contact[cases.from_contact >= 0]
    contacts.became_case[became] = True
    undetected = (
        np.concatenate([d for d, _ in missed]).astype(np.int64) if missed else empty,
        np.concatenate([p for _, p in missed]).astype(np.int64) if missed else empty,
    )
    return Epidemic(
        start=start,
        days=days,
        cases=cases,
        contacts=contacts,
        undetected=undetected,
        dead_from=dead_from,
    )


def _draw_cases(rng, cumulative, last_case_day, ordinal, needed, exclude) -> np.ndarray:
    """``needed`` distinct people by case weight, none with an episode in the last 180 days."""
    chosen: list[np.ndarray] = []
    taken = set(exclude.tolist())
    while needed > 0:
        candidates = np.searchsorted(cumulative, rng.random(needed * 2 + 8), side="right")
        candidates = candidates[ordinal - last_case_day[candidates] >= REINFECTION_AFTER_DAYS]
        fresh = [c for c in dict.fromkeys(candidates.tolist()) if c not in taken][:needed]
        taken.update(fresh)
        chosen.append(np.array(fresh, dtype=np.int64))
        needed -= len(fresh)
    return np.concatenate(chosen) if chosen else np.empty(0, np.int64)


def _contacts_of(rng, people, ordinal, case_offset, cumulative, dead_from):
    counts = rng.poisson(CONTACTS_MEAN, size=(len(people), len(SETTINGS)))
    index_case = np.repeat(case_offset + np.arange(len(people)), counts.sum(axis=1))
    setting = np.tile(np.arange(len(SETTINGS)), len(people)).repeat(counts.ravel())
    total = len(index_case)
    # Who gets infected among contacts follows the case age mix (children least).
    person = np.searchsorted(cumulative, rng.random(total), side="right").astype(np.int64)
    registered = rng.random(total) >= UNREGISTERED_CONTACT
    person = np.where(registered, person, -1)
    exposure = ordinal - rng.integers(0, 4, size=total)
    person = np.where(dead_from[np.maximum(person, 0)] <= exposure, -1, person)
    infected = rng.random(total) < ATTACK_RATE[setting]
    return index_case, person, setting.astype(np.int8), exposure, infected


def _stack_contacts(chunks) -> Contacts:
    if not chunks:
        empty = np.empty(0, np.int64)
        return Contacts(empty, empty, empty.astype(np.int8), empty, empty.astype(bool))
    parts = list(zip(*chunks, strict=True))
    return Contacts(
        index_case=np.concatenate(parts[0]),
        person=np.concatenate(parts[1]),
        setting=np.concatenate(parts[2]),
        exposure_day=np.concatenate(parts[3]),
        became_case=np.concatenate(parts[4]).copy(),
    )


def _no_cases() -> Cases:
    empty = np.empty(0, np.int64)
    return Cases(
        **{f: empty.astype(bool) if f in _FLAGS else empty for f in Cases.__dataclass_fields__}
    )


_FLAGS = {"symptomatic", "hospitalised", "icu", "died"}


def _outcomes(
    rng, population: Population, person: np.ndarray, day: int, source: np.ndarray
) -> dict:
    """Severity of one day's cases, decided the day they are found (deaths must be known)."""
    band = population.age_band[person]
    k = len(person)
    hospitalised = rng.random(k) < HOSPITALISED[band]
    icu = hospitalised & (rng.random(k) < ICU_IF_HOSPITALISED[band])
    died = rng.random(k) < DIES[band]
    hospitalised |= died & (rng.random(k) < 0.9)  # most deaths happen in hospital
    admit = day + rng.integers(0, 9, size=k)
    stay = 6 + rng.gamma(2.0, 4.0, size=k).astype(np.int64) + np.where(icu, 7, 0)
    discharge = admit + stay
    return {
        "person": person,
        "day": np.full(k, day, dtype=np.int64),
        "symptomatic": rng.random(k) < SYMPTOMATIC,
        "hospitalised": hospitalised,
        "admit_day": admit,
        "discharge_day": discharge,
        "icu": icu,
        "died": died,
        "death_day": np.where(hospitalised, discharge, day + rng.integers(5, 25, size=k)),
        "from_contact": source.astype(np.int64),
    }
