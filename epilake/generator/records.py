"""E-medical records of the simulated city as FHIR R4 resources, one NDJSON file per type.

Encounters follow each case's path (GP, telemedicine or ambulance first; home monitoring
or hospital; ICU; discharge or death); conditions, home vital signs, chest CT reports and
vaccinations hang off them. Background ambulance call-outs (all causes) keep EMER realistic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from epilake.generator.epidemic import Epidemic
from epilake.generator.population import Population
from epilake.generator.timefmt import local_day_ordinal, local_instant, minute_of_ordinal
from epilake.generator.writer import FeedWriter

RESOURCE_TYPES = ("Encounter", "Condition", "Observation", "DiagnosticReport", "Immunization")
ENCOUNTER_CLASSES = ("AMB", "EMER", "IMP", "VR", "HH")
AMB, EMER, IMP, VR, HH = range(5)
DISPOSITIONS = ("", "home", "other-hcf", "exp")
CONDITIONS = ("U07.1", "U07.2", "J12.8", "Z20.8", "U09.9")
VITALS = (
    ("59408-5", "%", "Oxygen saturation"),
    ("8310-5", "Cel", "Body temperature"),
    ("9279-1", "/min", "Respiratory rate"),
)
VACCINES = ("sputnik-v", "sputnik-light", "epivaccorona", "covivac")
VACCINATION_START = date(2020, 12, 5)
SPUTNIK_LIGHT_FROM = date(2021, 5, 6)
EMER_PER_PERSON_DAY = 0.0008  # about 10,000 call-outs a day for 12.7 million residents
RECORD_FAULTS = {"unknown_code": "unknown_code", "malformed_json": "json_malformed"}


@dataclass
class Resources:
    """Rows of one FHIR resource type: a dict of equal-length numpy arrays."""

    kind: str
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


def _cat(parts: list[dict]) -> dict[str, np.ndarray]:
    # Empty parts keep their columns (a short or early period can have no rows of a kind).
    parts = [p for p in parts if p]
    if not parts:
        return {}
    return {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in parts[0]}


def _encounters(population: Population, epidemic: Epidemic, rng) -> tuple[dict, dict]:
    cases = epidemic.cases
    k = len(cases.person)
    first_class = rng.choice([AMB, VR, EMER], size=k, p=[0.55, 0.25, 0.20])
    symptomatic = cases.symptomatic
    start = minute_of_ordinal(cases.day, rng.integers(8 * 60, 19 * 60, size=k))
    first = {
        "role": np.full(int(symptomatic.sum()), 0, np.int8),
        "case": np.flatnonzero(symptomatic),
        "person": cases.person[symptomatic],
        "cls": first_class[symptomatic],
        "icu": np.zeros(int(symptomatic.sum()), bool),
        "start": start[symptomatic],
        "end": start[symptomatic] + rng.integers(20, 90, size=int(symptomatic.sum())),
        "disposition": np.zeros(int(symptomatic.sum()), np.int8),
    }
    hosp = cases.hospitalised
    h = int(hosp.sum())
    admit = minute_of_ordinal(cases.admit_day[hosp], rng.integers(0, 1440, size=h))
    disposition = np.where(cases.died[hosp], 3, np.where(rng.random(h) < 0.05, 2, 1))
    stays = {
        "role": np.full(h, 1, np.int8),
        "case": np.flatnonzero(hosp),
        "person": cases.person[hosp],
        "cls": np.full(h, IMP),
        "icu": cases.icu[hosp],
        "start": admit,
        "end": minute_of_ordinal(cases.discharge_day[hosp], rng.integers(9 * 60, 16 * 60, size=h)),
        "disposition": disposition.astype(np.int8),
    }
    ambulance = hosp & (rng.random(k) < 0.6)
    a = int(ambulance.sum())
    admit_of_case = np.zeros(k, dtype=np.int64)
    admit_of_case[hosp] = admit
    a_start = admit_of_case[ambulance] - rng.integers(60, 180, size=a)
    transport = {
        "role": np.full(a, 2, np.int8),
        "case": np.flatnonzero(ambulance),
        "person": cases.person[ambulance],
        "cls": np.full(a, EMER),
        "icu": np.zeros(a, bool),
        "start": a_start,
        "end": a_start + rng.integers(40, 100, size=a),
        "disposition": np.zeros(a, np.int8),
    }
    days = np.arange(epidemic.days)
    counts = rng.poisson(len(population) * EMER_PER_PERSON_DAY, size=epidemic.days)
    b_day = epidemic.start.toordinal() + np.repeat(days, counts)
    b_person = rng.integers(0, len(population), size=len(b_day))
    alive = b_day < epidemic.dead_from[b_person]
    b_day, b_person = b_day[alive], b_person[alive]
    b = len(b_day)
    b_start = minute_of_ordinal(b_day, rng.integers(0, 1440, size=b))
    background = {
        "role": np.full(b, 3, np.int8),
        "case": np.full(b, -1),
        "person": b_person,
        "cls": np.full(b, EMER),
        "icu": np.zeros(b, bool),
        "start": b_start,
        "end": b_start + rng.integers(30, 120, size=b),
        "disposition": np.zeros(b, np.int8),
    }
    monitoring = _home_monitoring(epidemic, rng)
    encounters = _cat([first, stays, transport, background, monitoring["encounters"]])
    return encounters, monitoring


def _home_monitoring(epidemic: Epidemic, rng) -> dict:
    """Telemedicine for cases treated at home; SpO2 falls before an escalation to hospital."""
    cases = epidemic.cases
    treated_at_home = cases.symptomatic & (~cases.hospitalised | (cases.admit_day >= cases.day + 3))
    index = np.flatnonzero(treated_at_home)
    first = cases.day[index] + 1
    last = np.where(
        cases.hospitalised[index],
        cases.admit_day[index] - 1,
        cases.day[index] + rng.integers(7, 12, size=len(index)),
    )
    last = np.minimum(last, epidemic.dead_from[cases.person[index]] - 1)
    last = np.minimum(last, epidemic.dead_from[cases.person[index]] - 1)
    span = np.maximum(last - first + 1, 1)
    day_case = np.repeat(index, span)
    day = np.repeat(first, span) + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
    until_admission = np.where(cases.hospitalised[day_case], cases.admit_day[day_case] - day, 99)
    spo2 = np.clip(
        np.round(rng.normal(97, 1.0, len(day)) - np.clip(4 - until_admission, 0, 4) * 1.8), 80, 100
    )
    temp = np.round(rng.normal(37.6, 0.5, len(day)) + np.where(until_admission <= 2, 0.7, 0), 1)
    moment = minute_of_ordinal(day, rng.integers(8 * 60, 11 * 60, size=len(day)))
    vr = (day - np.repeat(first, span)) % 3 == 0
    encounters = {
        "role": np.full(int(vr.sum()), 4, np.int8),
        "case": day_case[vr],
        "person": cases.person[day_case[vr]],
        "cls": np.full(int(vr.sum()), VR),
        "icu": np.zeros(int(vr.sum()), bool),
        "start": moment[vr] - 30,
        "end": moment[vr] - 10,
        "disposition": np.zeros(int(vr.sum()), np.int8),
    }
    home_visit = np.isin(day_case, index[rng.random(len(index)) < 0.1]) & (
        (day - np.repeat(first, span)) == 1
    )
    hv = int(home_visit.sum())
    visits = {
        "role": np.full(hv, 5, np.int8),
        "case": day_case[home_visit],
        "person": cases.person[day_case[home_visit]],
        "cls": np.full(hv, HH),
        "icu": np.zeros(hv, bool),
        "start": moment[home_visit] + 120,
        "end": moment[home_visit] + 160,
        "disposition": np.zeros(hv, np.int8),
    }
    rr = (day % 2) == 0
    vitals = _cat(
        [
            {
                "case": day_case,
                "person": cases.person[day_case],
                "code": np.zeros(len(day), np.int8),
                "at": moment,
                "value": spo2,
            },
            {
                "case": day_case,
                "person": cases.person[day_case],
                "code": np.ones(len(day), np.int8),
                "at": moment + 2,
                "value": temp,
            },
            {
                "case": day_case[rr],
                "person": cases.person[day_case[rr]],
                "code": np.full(int(rr.sum()), 2, np.int8),
                "at": moment[rr] + 4,
                "value": np.round(rng.normal(18, 3, int(rr.sum()))),
            },
        ]
    )
    return {"encounters": _cat([encounters, visits]), "vitals": vitals}


def _vaccinations(population: Population, epidemic: Epidemic, rng) -> dict:
    """First doses from 5 December 2020, second doses 21 days later, adults only."""
    start = max(epidemic.start, VACCINATION_START).toordinal()
    end = epidemic.start.toordinal() + epidemic.days
    if start >= end:
        return {}
    age_days = start - population.birth_ordinal
    adults = np.flatnonzero(age_days >= 18 * 365)
    rng.shuffle(adults)
    days = np.arange(start, end)
    ramp = np.clip((days - VACCINATION_START.toordinal()) / 180, 0, 1)
    counts = rng.poisson(len(population) * (0.0003 + 0.0025 * ramp))
    counts = np.minimum(np.cumsum(counts), int(len(adults) * 0.7))
    counts = np.diff(np.concatenate([[0], counts]))
    person = adults[: counts.sum()]
    day = np.repeat(days, counts)
    vaccine = rng.choice(4, size=len(person), p=[0.85, 0.0, 0.08, 0.07])
    light = (day >= SPUTNIK_LIGHT_FROM.toordinal()) & (rng.random(len(person)) < 0.1)
    vaccine = np.where(light, 1, vaccine)
    alive = day + 21 < epidemic.dead_from[person]
    person, day, vaccine = person[alive], day[alive], vaccine[alive]
    second = vaccine != 1
    return _cat(
        [
            {
                "person": person,
                "vaccine": vaccine,
                "dose": np.ones(len(person), np.int8),
                "day": day,
            },
            {
                "person": person[second],
                "vaccine": vaccine[second],
                "dose": np.full(int(second.sum()), 2, np.int8),
                "day": day[second] + 21,
            },
        ]
    )


def build_records(population: Population, epidemic: Epidemic, rng: np.random.Generator) -> dict:
    """Every record as arrays by resource type."""
    cases = epidemic.cases
    encounters, monitoring = _encounters(population, epidemic, rng)
    k = len(cases.person)
    hosp = np.flatnonzero(cases.hospitalised)
    grade = np.where(
        cases.icu[hosp] | cases.died[hosp],
        rng.integers(3, 5, size=len(hosp)),
        rng.choice([1, 2, 3], size=len(hosp), p=[0.45, 0.4, 0.15]),
    )
    outpatient = np.flatnonzero(cases.symptomatic & ~cases.hospitalised & (rng.random(k) < 0.15))
    ct = _cat(
        [
            {
                "person": cases.person[hosp],
                "at": minute_of_ordinal(cases.admit_day[hosp], 20 * 60),
                "grade": grade,
            },
            {
                "person": cases.person[outpatient],
                "at": minute_of_ordinal(cases.day[outpatient] + 2, 12 * 60),
                "grade": rng.choice([0, 1], size=len(outpatient), p=[0.5, 0.5]),
            },
        ]
    )
    pneumonia = hosp[grade >= 2]
    post_covid = np.flatnonzero((rng.random(k) < 0.03) & ~cases.died)
    conditions = _cat(
        [
            {
                "person": cases.person,
                "code": np.zeros(k, np.int8),
                "onset": cases.day - cases.symptomatic * rng.integers(1, 4, size=k),
                "recorded": cases.day + 1,
            },
            {
                "person": cases.person[pneumonia],
                "code": np.full(len(pneumonia), 2, np.int8),
                "onset": cases.admit_day[pneumonia],
                "recorded": cases.admit_day[pneumonia],
            },
            {
                "person": cases.person[post_covid],
                "code": np.full(len(post_covid), 4, np.int8),
                "onset": cases.day[post_covid] + 60,
                "recorded": cases.day[post_covid] + rng.integers(60, 120, size=len(post_covid)),
            },
        ]
    )
    vitals = monitoring["vitals"]
    conditions["encounter"] = np.concatenate(
        [
            _encounter_of(encounters, np.arange(k), 0),  # U07.1: the first contact
            _encounter_of(encounters, pneumonia, 1),  # J12.8: the hospital stay
            np.full(len(post_covid), -1),
        ]
    )
    if vitals:
        vitals["encounter"] = _monitoring_encounter(encounters, vitals["case"], vitals["at"])
    return {
        "Encounter": encounters,
        "Condition": conditions,
        "Observation": vitals,
        "DiagnosticReport": ct,
        "Immunization": _vaccinations(population, epidemic, rng),
    }


def _encounter_of(encounters: dict, case: np.ndarray, role: int) -> np.ndarray:
    """Row of the case's encounter of ``role`` (one per case), -1 where it has none."""
    lookup = np.full(int(case.max(initial=-1)) + 1, -1, dtype=np.int64)
    rows = np.flatnonzero(encounters["role"] == role)
    known = encounters["case"][rows]
    inside = known < len(lookup)
    lookup[known[inside]] = rows[inside]
    return lookup[case] if len(case) else np.empty(0, np.int64)


def _monitoring_encounter(encounters: dict, case: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each reading, the case's latest telemedicine consultation at or before it."""
    rows = np.flatnonzero(encounters["role"] == 4)
    if not len(rows):
        return np.full(len(case), -1, dtype=np.int64)
    span = 10**9
    keys = encounters["case"][rows] * span + (encounters["start"][rows] - encounters["start"].min())
    order = np.argsort(keys)
    wanted = case * span + (at - encounters["start"].min())
    position = np.searchsorted(keys[order], wanted, side="right") - 1
    found = rows[order][np.maximum(position, 0)]
    same_case = (position >= 0) & (encounters["case"][found] == case)
    return np.where(same_case, found, -1)


def _encounter_ref(row: dict, i: int, seed: int) -> str:
    encounter = int(row["encounter"][i])
    return (
        f',"encounter":{{"reference":"Encounter/enc-{seed}-{encounter:09d}"}}'
        if encounter >= 0
        else ""
    )


# -- serialisation --------------------------------------------------------------------------


def _ref(population: Population, person: int) -> str:
    return f'"subject":{{"reference":"Patient/{population.patient_id[person]}"}}'


def _encounter_versions(rows: dict, last_day: int) -> dict:
    """A hospital stay is sent when it starts (in progress) and again when it ends."""
    ends_in_window = local_day_ordinal(rows["end"]) <= last_day
    stay = rows["cls"] == IMP
    opening = stay.copy()
    versions = _cat(
        [
            {
                **{k: v[opening] for k, v in rows.items()},
                "id": np.flatnonzero(opening),
                "final": np.zeros(int(opening.sum()), bool),
            },
            {
                **{k: v[~stay | ends_in_window] for k, v in rows.items()},
                "id": np.flatnonzero(~stay | ends_in_window),
                "final": np.ones(int((~stay | ends_in_window).sum()), bool),
            },
        ]
    )
    versions["updated"] = np.where(versions["final"], versions["end"], versions["start"])
    return versions


def format_encounter(population, row: dict, i: int, seed: int) -> str:
    cls = ENCOUNTER_CLASSES[row["cls"][i]]
    final = bool(row["final"][i])
    status = "finished" if final else "in-progress"
    period = f'"start":"{local_instant(row["start"][i])}"'
    if final:
        period += f',"end":"{local_instant(row["end"][i])}"'
    extra = ""
    if row["icu"][i]:
        extra += ',"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-RoleCode","code":"ICU"}]}]'
    if final and row["disposition"][i]:
        extra += (
            ',"hospitalization":{"dischargeDisposition":{"coding":[{"system":'
            '"http://terminology.hl7.org/CodeSystem/discharge-disposition","code":"'
            f'{DISPOSITIONS[row["disposition"][i]]}"}}]}}}}'
        )
    return (
        f'{{"resourceType":"Encounter","id":"enc-{seed}-{row["id"][i]:09d}",'
        f'"meta":{{"lastUpdated":"{local_instant(row["updated"][i])}"}},"status":"{status}",'
        f'"class":{{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"{cls}"}}'
        f'{extra},{_ref(population, row["person"][i])},"period":{{{period}}}}}'
    )


def format_condition(population, row: dict, i: int, seed: int) -> str:
    code = CONDITIONS[row["code"][i]]
    recorded = minute_of_ordinal(row["recorded"][i], 14 * 60)
    return (
        f'{{"resourceType":"Condition","id":"cond-{seed}-{i:09d}",'
        f'"meta":{{"lastUpdated":"{local_instant(recorded)}"}},'
        '"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},'
        '"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},'
        f'"code":{{"coding":[{{"system":"http://hl7.org/fhir/sid/icd-10","code":"{code}"}}]}},'
        f"{_ref(population, row['person'][i])},"
        f'"onsetDateTime":"{local_instant(minute_of_ordinal(row["onset"][i], 9 * 60))}",'
        f'"recordedDate":"{local_instant(recorded)}"{_encounter_ref(row, i, seed)}}}'
    )


def format_observation(population, row: dict, i: int, seed: int) -> str:
    code, unit, display = VITALS[row["code"][i]]
    value = row["value"][i]
    shown = f"{value:.1f}" if code == "8310-5" else f"{int(value)}"
    at = local_instant(row["at"][i])
    return (
        f'{{"resourceType":"Observation","id":"vit-{seed}-{i:09d}","meta":{{"lastUpdated":"{at}"}},'
        '"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],'
        f'"code":{{"coding":[{{"system":"http://loinc.org","code":"{code}","display":"{display}"}}]}},'
        f'{_ref(population, row["person"][i])},"effectiveDateTime":"{at}",'
        f'"valueQuantity":{{"value":{shown},"unit":"{unit}","system":"http://unitsofmeasure.org","code":"{unit}"}}'
        f"{_encounter_ref(row, i, seed)}}}"
    )


def format_ct(population, row: dict, i: int, seed: int) -> str:
    at = local_instant(row["at"][i])
    return (
        f'{{"resourceType":"DiagnosticReport","id":"ct-{seed}-{i:09d}","meta":{{"lastUpdated":"{at}"}},'
        '"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"24627-2","display":"Chest CT"}]},'
        f'{_ref(population, row["person"][i])},"effectiveDateTime":"{at}",'
        f'"conclusionCode":[{{"coding":[{{"system":"urn:epilake:ct-severity","code":"CT-{row["grade"][i]}"}}]}}]}}'
    )


def format_immunization(population, row: dict, i: int, seed: int) -> str:
    at = local_instant(minute_of_ordinal(row["day"][i], 11 * 60))
    return (
        f'{{"resourceType":"Immunization","id":"imm-{seed}-{i:09d}","meta":{{"lastUpdated":"{at}"}},'
        f'"status":"completed","vaccineCode":{{"coding":[{{"system":"urn:epilake:vaccine","code":"{VACCINES[row["vaccine"][i]]}"}}]}},'
        f'"patient":{{"reference":"Patient/{population.patient_id[row["person"][i]]}"}},'
        f'{_ref(population, row["person"][i])},"occurrenceDateTime":"{at}",'
        f'"protocolApplied":[{{"doseNumberPositiveInt":{row["dose"][i]}}}]}}'
    )


FORMATTERS = {
    "Encounter": (format_encounter, lambda r: local_day_ordinal(r["updated"])),
    "Condition": (format_condition, lambda r: r["recorded"]),
    "Observation": (format_observation, lambda r: local_day_ordinal(r["at"])),
    "DiagnosticReport": (format_ct, lambda r: local_day_ordinal(r["at"])),
    "Immunization": (format_immunization, lambda r: r["day"]),
}


def corrupt(line: str, kind: str) -> str:
    if kind == "malformed_json":
        return line[: len(line) // 2]
    resource = json.loads(line)
    coding = resource.get("code") or resource.get("vaccineCode") or resource.get("class")
    if "coding" in coding:
        coding["coding"][0]["code"] = "XX-999"
    else:
        coding["code"] = "XX-999"
    return json.dumps(resource, separators=(",", ":"))


def write_records(
    writer: FeedWriter,
    population: Population,
    records: dict,
    start: date,
    days: int,
    seed: int,
    dirt: float,
    rng,
) -> dict[str, int]:
    """Write each resource type on its delivery days; returns rows written per type."""
    last_day = start.toordinal() + days - 1
    written = {}
    for kind in RESOURCE_TYPES:
        rows = records[kind]
        if not rows:
            written[kind] = 0
            continue
        if kind == "Encounter":
            rows = _encounter_versions(rows, last_day)
        formatter, delivery_of = FORMATTERS[kind]
        delivery = delivery_of(rows)
        keep = (delivery >= start.toordinal()) & (delivery <= last_day)
        order = np.flatnonzero(keep)[np.argsort(delivery[keep], kind="stable")]
        faults = rng.random(len(order)) < dirt / 2
        kinds = rng.integers(0, len(RECORD_FAULTS), size=len(order))
        for chunk in np.split(np.arange(len(order)), np.flatnonzero(np.diff(delivery[order])) + 1):
            if not len(chunk):
                continue
            day = date.fromordinal(int(delivery[order[chunk[0]]]))
            lines, ids, line_faults = [], [], {}
            for n, position in enumerate(chunk):
                line = formatter(population, rows, int(order[position]), seed)
                if faults[position]:
                    fault = list(RECORD_FAULTS)[kinds[position]]
                    line_faults[n] = (fault, RECORD_FAULTS[fault])
                    line = corrupt(line, fault)
                lines.append(line)
                ids.append(f"{kind}:{order[position]}")
            writer.write_day("records", day, lines, ids, line_faults, resource=kind)
        written[kind] = int(keep.sum())
    return written
