"""Lab feed: every test result of the simulated city as FHIR R4 Observations (NDJSON).

Cases get a positive PCR or antigen test on their specimen date (some after a false-negative
PCR), traced contacts and screening get tests, past cases get antibody tests. Results then
get versions as real labs send them: preliminary, final, amended, retracted, late.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from epilake.generator.city import epidemic_intensity
from epilake.generator.epidemic import Epidemic
from epilake.generator.population import Population
from epilake.generator.timefmt import local_day_ordinal, local_instant, minute_of_ordinal
from epilake.generator.writer import FeedWriter
from spark_jobs.lab import codes

LABS = ("lab-central", "lab-north", "lab-south", "lab-east")
TEST_TYPES = ("pcr", "antigen", "antibody")
LOINC = (*codes.PCR_CODES, *codes.ANTIGEN_CODES, *codes.ANTIBODY_CODES)
LOINC_TYPE = np.array([0] * 3 + [1] * 2 + [2] * 3)
IGG_QUANTITY = LOINC.index(codes.IGG_QUANTITY_CODE)
NONE, DETECTED, NOT_DETECTED, INCONCLUSIVE = 0, 1, 2, 3
RESULT_CODE = {
    DETECTED: codes.DETECTED,
    NOT_DETECTED: codes.NOT_DETECTED,
    INCONCLUSIVE: codes.INCONCLUSIVE,
}
TURNAROUND_MIN = {0: (600, 3600), 1: (20, 120), 2: (240, 1800)}
ANTIGEN_FALSE_POSITIVE = 0.003  # specificity 99.7 %
PCR_FALSE_NEGATIVE_FIRST = 0.10  # share of cases whose first PCR missed them
RECORD_FAULTS = {  # kind -> what a correct pipeline must name
    "malformed_json": "json_malformed",
    "unknown_loinc": "unknown_loinc",
    "future_collection": "collected_in_future",
    "collected_after_issued": "collected_after_issued",
    "missing_subject": "missing_subject",
}
UNREGISTERED_PATIENT_BASE = 7_799_000_000


@dataclass
class LabVersions:
    """One element per delivered version of a result."""

    result: np.ndarray  # result number (stable id)
    person: np.ndarray  # population index, or -1 - k for a patient not in the register
    loinc: np.ndarray
    status: np.ndarray  # index into codes.STATUSES
    outcome: np.ndarray  # NONE / DETECTED / NOT_DETECTED / INCONCLUSIVE
    value: np.ndarray  # BAU/mL for the quantitative test, else nan
    collected: np.ndarray  # UTC minutes
    issued: np.ndarray
    updated: np.ndarray
    delivery: np.ndarray  # local date ordinal
    lab: np.ndarray
    fault: np.ndarray  # index into RECORD_FAULTS kinds + 1, 0 for none

    def __len__(self) -> int:
        return len(self.result)

    def take(self, index) -> LabVersions:
        return LabVersions(**{k: v[index] for k, v in vars(self).items()})

    def latest(self) -> LabVersions:
        """The last-updated version of each result."""
        order = np.lexsort((self.updated, self.result))
        ends = np.r_[self.result[order][1:] != self.result[order][:-1], True][: len(order)]
        return self.take(order[ends])

    @staticmethod
    def concat(parts: list[LabVersions]) -> LabVersions:
        return LabVersions(
            **{k: np.concatenate([getattr(p, k) for p in parts]) for k in vars(parts[0])}
        )


def _tests(person, day, loinc, outcome, rng, value=None) -> dict:
    k = len(person)
    collected = minute_of_ordinal(day, rng.integers(7 * 60, 21 * 60, size=k))
    kind = LOINC_TYPE[loinc]
    low = np.array([TURNAROUND_MIN[t][0] for t in range(3)])[kind]
    high = np.array([TURNAROUND_MIN[t][1] for t in range(3)])[kind]
    return {
        "person": np.asarray(person, dtype=np.int64),
        "loinc": np.asarray(loinc, dtype=np.int8),
        "outcome": np.asarray(outcome, dtype=np.int8),
        "value": np.full(k, np.nan) if value is None else np.asarray(value, dtype=float),
        "collected": collected,
        "issued": collected + rng.integers(low, high),
    }


def plan_results(
    population: Population,
    epidemic: Epidemic,
    rng: np.random.Generator,
    tests_per_1000_per_day: float,
    contact_is_tested: np.ndarray,
    vaccinations: dict,
) -> tuple[dict, np.ndarray]:
    """Every result (final state) as arrays, and when each case's positive result was issued.

    Cases, cases first missed by PCR, tested contacts, screening and antibody tests.
    """
    cases, contacts = epidemic.cases, epidemic.contacts
    parts = []
    k = len(cases.person)
    antigen = rng.random(k) < 0.15
    loinc = np.where(antigen, rng.integers(3, 5, size=k), rng.integers(0, 3, size=k))
    parts.append(_tests(cases.person, cases.day, loinc, np.full(k, DETECTED), rng))
    case_issued = parts[0]["issued"].copy()
    missed = cases.symptomatic & (rng.random(k) < PCR_FALSE_NEGATIVE_FIRST)
    m = int(missed.sum())
    parts.append(
        _tests(
            cases.person[missed],
            cases.day[missed] - rng.integers(1, 4, size=m),
            rng.integers(0, 3, size=m),
            np.full(m, NOT_DETECTED),
            rng,
        )
    )
    alive = epidemic.dead_from[np.maximum(contacts.person, 0)] > contacts.exposure_day + 7
    tested = (contacts.person >= 0) & ~contacts.became_case & contact_is_tested & alive
    c = int(tested.sum())
    parts.append(
        _tests(
            contacts.person[tested],
            contacts.exposure_day[tested] + rng.integers(3, 7, size=c),
            rng.integers(0, 3, size=c),
            np.full(c, NOT_DETECTED),
            rng,
        )
    )
    parts.extend(_screening(population, epidemic, rng, tests_per_1000_per_day))
    parts.append(_after_vaccination(epidemic, vaccinations, rng, len(parts[-1]["person"]) // 3))
    merged = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    inconclusive = (merged["outcome"] == NOT_DETECTED) & (rng.random(len(merged["person"])) < 0.005)
    merged["outcome"][inconclusive] = INCONCLUSIVE
    order = np.lexsort((merged["person"], merged["collected"]))
    return {key: value[order] for key, value in merged.items()}, case_issued


def contact_tested(contacts, rng: np.random.Generator) -> np.ndarray:
    """Which contacts get a test (the lab and tracing feeds both use this one draw)."""
    return rng.random(len(contacts.person)) < 0.6


def _after_vaccination(epidemic, vaccinations: dict, rng, count: int) -> dict:
    """Quantitative IgG 21-120 days after a first dose: most vaccinated people respond."""
    if not vaccinations or count == 0:
        return _tests(
            np.empty(0, np.int64),
            np.empty(0, np.int64),
            np.empty(0, np.int8),
            np.empty(0, np.int8),
            rng,
        )
    first = np.flatnonzero(vaccinations["dose"] == 1)
    pick = first[rng.integers(0, len(first), size=count)]
    person = vaccinations["person"][pick]
    day = vaccinations["day"][pick] + rng.integers(21, 121, size=count)
    keep = (day < epidemic.start.toordinal() + epidemic.days) & (day < epidemic.dead_from[person])
    person, day = person[keep], day[keep]
    responded = rng.random(len(day)) < 0.9
    value = np.round(
        np.where(responded, rng.uniform(60, 600, len(day)), rng.uniform(1, 30, len(day))), 1
    )
    loinc = np.full(len(day), IGG_QUANTITY, dtype=np.int8)
    return _tests(person, day, loinc, np.full(len(day), NONE), rng, value=value)


def _screening(population, epidemic, rng, per_1000) -> list[dict]:
    n = len(population)
    start = epidemic.start
    days = np.arange(epidemic.days)
    intensity = np.array([epidemic_intensity(start + timedelta(days=int(d))) for d in days])
    peak = max(intensity.max(), 1e-9)
    counts = rng.poisson(n * per_1000 / 1000 * (0.3 + intensity / peak))
    day = start.toordinal() + np.repeat(days, counts)
    person = rng.integers(0, n, size=len(day))
    alive = day < epidemic.dead_from[person]
    day, person = day[alive], person[alive]
    total = len(day)
    antigen = rng.random(total) < 0.25
    loinc = np.where(antigen, rng.integers(3, 5, size=total), rng.integers(0, 3, size=total))
    outcome = np.where(
        antigen & (rng.random(total) < ANTIGEN_FALSE_POSITIVE), DETECTED, NOT_DETECTED
    )
    screening = _tests(person, day, loinc, outcome, rng)
    # Antibody tests: half of them past cases (IgG after infection), half anyone.
    cases = epidemic.cases
    a = total // 12
    a_day = start.toordinal() + rng.integers(0, epidemic.days, size=a)
    pick = rng.integers(0, max(len(cases.person), 1), size=a)
    past = (rng.random(a) < 0.5) & (len(cases.person) > 0)
    if len(cases.person):
        past &= cases.day[pick] <= a_day - 14
    a_person = np.where(
        past, cases.person[pick] if len(cases.person) else 0, rng.integers(0, n, size=a)
    )
    alive = a_day < epidemic.dead_from[a_person]
    a, a_day, a_person, past = int(alive.sum()), a_day[alive], a_person[alive], past[alive]
    a_loinc = rng.integers(5, 8, size=a)
    positive = np.where(past, rng.random(a) < 0.9, rng.random(a) < 0.04)
    quantitative = a_loinc == IGG_QUANTITY
    value = np.where(
        quantitative, np.where(positive, rng.uniform(40, 400, a), rng.uniform(0.5, 30, a)), np.nan
    )
    a_outcome = np.where(quantitative, NONE, np.where(positive, DETECTED, NOT_DETECTED))
    antibodies = _tests(a_person, a_day, a_loinc, a_outcome, rng, value=np.round(value, 1))
    return [screening, antibodies]


def version_results(results: dict, rng: np.random.Generator, dirt: float) -> LabVersions:
    """Versions of every result: preliminary first for some PCRs, amended or retracted later."""
    n = len(results["person"])
    final = codes.STATUSES.index("final")
    base = LabVersions(
        result=np.arange(n, dtype=np.int64),
        person=results["person"],
        loinc=results["loinc"],
        status=np.full(n, final, dtype=np.int8),
        outcome=results["outcome"],
        value=results["value"],
        collected=results["collected"],
        issued=results["issued"],
        updated=results["issued"].copy(),
        delivery=local_day_ordinal(results["issued"]),
        lab=rng.integers(0, len(LABS), size=n).astype(np.int8),
        fault=np.zeros(n, dtype=np.int8),
    )
    parts = [base]
    preliminary = (LOINC_TYPE[base.loinc] == 0) & (rng.random(n) < 0.03)
    early = base.take(preliminary)
    early.status[:] = codes.STATUSES.index("preliminary")
    early.outcome[:] = NONE
    early.value[:] = np.nan
    early.updated = early.issued - 120
    early.delivery = local_day_ordinal(early.updated)
    parts.append(early)
    draw = rng.random(n)
    for status, chosen in (
        ("entered-in-error", draw < dirt),
        ("amended", (draw >= dirt) & (draw < 3 * dirt)),
    ):
        later = base.take(chosen)
        later.status[:] = codes.STATUSES.index(status)
        later.updated = later.issued + rng.integers(20 * 60, 60 * 60, size=len(later))
        later.delivery = local_day_ordinal(later.updated)
        if status == "amended":
            corrected = rng.random(len(later)) < 0.3
            later.status[corrected] = codes.STATUSES.index("corrected")
            # PCR and antigen amendments correct the record (the lab), not the outcome: the
            # register confirmed the case on it. Antibody results are re-read and flip.
            antibody = LOINC_TYPE[later.loinc] == 2
            flipped = np.where(later.outcome == DETECTED, NOT_DETECTED, DETECTED)
            later.outcome = np.where(
                antibody & (later.outcome != NONE), flipped, later.outcome
            ).astype(np.int8)
            later.value = np.where(antibody, np.round(later.value * 1.5 + 10, 1), later.value)
            later.lab = ((later.lab + 1) % len(LABS)).astype(np.int8)
            # Half of the amended originals arrive late, after their amendment.
            late = np.flatnonzero(chosen)[rng.random(int(chosen.sum())) < 0.5]
            base.delivery[late] = later.delivery[np.isin(later.result, late)] + rng.integers(
                1, 4, size=len(late)
            )
        else:
            later.outcome[:] = NONE
            later.value[:] = np.nan
        parts.append(later)
    versions = LabVersions.concat(parts)
    versions.fault = np.where(
        rng.random(len(versions)) < dirt,
        rng.integers(1, len(RECORD_FAULTS) + 1, size=len(versions)),
        0,
    ).astype(np.int8)
    return versions


def unregistered_results(rng, start: date, days: int, count: int) -> dict:
    """Results for patients the register does not (yet) know: not a fault, to be matched later."""
    day = start.toordinal() + rng.integers(0, days, size=count)
    return _tests(
        -1 - np.arange(count),
        day,
        rng.integers(0, 3, size=count),
        np.full(count, NOT_DETECTED),
        rng,
    )


def result_id(seed: int, result: int) -> str:
    return f"obs-{seed}-{result:09d}"


def _patient_id(population: Population, person: int) -> str:
    if person < 0:
        return str(UNREGISTERED_PATIENT_BASE + (-1 - person))
    return str(population.patient_id[person])


def format_version(population: Population, v: LabVersions, i: int, seed: int) -> str:
    value = ""
    outcome = int(v.outcome[i])
    if outcome != NONE:
        value = (
            '"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"'
            f'{RESULT_CODE[outcome]}"}}]}},'
        )
    elif not np.isnan(v.value[i]):
        value = (
            f'"valueQuantity":{{"value":{v.value[i]},"unit":"BAU/mL",'
            '"system":"http://unitsofmeasure.org","code":"[BAU]/mL"},'
        )
    line = (
        f'{{"resourceType":"Observation","id":"{result_id(seed, int(v.result[i]))}",'
        f'"meta":{{"lastUpdated":"{local_instant(v.updated[i])}"}},'
        f'"identifier":[{{"system":"urn:epilake:accession","value":"ACC{seed}{v.result[i]:010d}"}}],'
        f'"status":"{codes.STATUSES[v.status[i]]}",'
        f'"code":{{"coding":[{{"system":"http://loinc.org","code":"{LOINC[v.loinc[i]]}"}}]}},'
        f'"subject":{{"reference":"Patient/{_patient_id(population, int(v.person[i]))}"}},'
        f'"effectiveDateTime":"{local_instant(v.collected[i])}","issued":"{local_instant(v.issued[i])}",'
        f'{value}"performer":[{{"reference":"Organization/{LABS[v.lab[i]]}"}}]}}'
    )
    fault = int(v.fault[i])
    return corrupt(line, list(RECORD_FAULTS)[fault - 1], v, i) if fault else line


def corrupt(line: str, kind: str, v: LabVersions, i: int) -> str:
    if kind == "malformed_json":
        return line[: len(line) // 2]
    resource = json.loads(line)
    if kind == "unknown_loinc":
        resource["code"]["coding"][0]["code"] = "1234-5"
    elif kind == "future_collection":
        resource["effectiveDateTime"] = "2099-01-01T10:00:00+03:00"
        resource["issued"] = "2099-01-02T10:00:00+03:00"
    elif kind == "collected_after_issued":
        resource["effectiveDateTime"] = local_instant(v.issued[i] + 180)
    elif kind == "missing_subject":
        del resource["subject"]
    return json.dumps(resource, separators=(",", ":"))


HANDLED = {  # dirt that is not a fault of the record: kind -> how the pipeline must treat it
    "amended": "latest_version_wins",
    "corrected": "latest_version_wins",
    "entered-in-error": "retracted",
    "late_delivery": "latest_version_wins",
    "patient_not_in_register": "unmatched",
}


def _fault_of(v: LabVersions, i: int, day: date) -> tuple[str, str] | None:
    """The fault (or handled dirt) a written version carries, for the truth's fault list."""
    if v.fault[i]:
        kind = list(RECORD_FAULTS)[v.fault[i] - 1]
        return kind, RECORD_FAULTS[kind]
    status = codes.STATUSES[v.status[i]]
    if status in ("amended", "corrected", "entered-in-error"):
        return status, HANDLED[status]
    if v.person[i] < 0:
        return "patient_not_in_register", HANDLED["patient_not_in_register"]
    if day.toordinal() > local_day_ordinal(v.updated[i]) + 1:
        return "late_delivery", HANDLED["late_delivery"]
    return None


def write_lab(
    writer: FeedWriter, population: Population, versions: LabVersions, seed: int
) -> np.ndarray:
    """Write every version on its delivery date; returns each version's line index in the writer."""
    order = np.lexsort((versions.result, versions.updated, versions.delivery))
    line_index = np.empty(len(versions), dtype=np.int64)
    bounds = np.flatnonzero(np.diff(versions.delivery[order])) + 1
    for chunk in np.split(order, bounds):
        if not len(chunk):
            continue
        day = date.fromordinal(int(versions.delivery[chunk[0]]))
        lines = [format_version(population, versions, int(i), seed) for i in chunk]
        ids = [result_id(seed, int(versions.result[i])) for i in chunk]
        faults = {n: _fault_of(versions, int(i), day) for n, i in enumerate(chunk)}
        faults = {n: f for n, f in faults.items() if f}
        first = len(writer.line_files)
        writer.write_day("lab", day, lines, ids, faults)
        line_index[chunk] = first + np.arange(len(chunk))
    return line_index
