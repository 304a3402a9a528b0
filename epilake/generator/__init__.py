"""Synthetic city feeds per FEEDS.md (lab, records, register, tracing) and their truth.

``generate_city`` simulates one epidemic and writes all four feeds from it, so the systems
agree with each other; ``<out>/_truth/`` holds what the generator knows (see truth.py).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np

from epilake.generator import lab, records, register, tracing, truth
from epilake.generator.epidemic import simulate
from epilake.generator.population import build_population
from epilake.generator.writer import Fault, FeedWriter
from epilake.progress import stages


@dataclass(frozen=True)
class CityConfig:
    patients: int = 20_000
    start: date = date(2020, 3, 1)
    days: int = 120
    seed: int = 42
    dirt: float = 0.01
    tests_per_1000_per_day: float = 3.0


@dataclass
class CitySummary:
    lines: dict[str, int]
    files: int
    faults: int
    seconds: float
    calibration: dict


def generate_city(out: Path, config: CityConfig) -> CitySummary:
    """Simulate the city and write its four feeds into the landing folder ``out``."""
    began = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    last_day = config.start.toordinal() + config.days - 1
    with stages(8) as step:
        step("population")
        population = build_population(config.patients, config.start, rng)
        step("epidemic")
        epidemic = simulate(population, config.start, config.days, rng)
        step("lab results")
        record_rows = records.build_records(population, epidemic, rng)
        tested = lab.contact_tested(epidemic.contacts, rng)
        results, case_issued = lab.plan_results(
            population,
            epidemic,
            rng,
            config.tests_per_1000_per_day,
            tested,
            record_rows["Immunization"],
        )
        unregistered = (
            max(1, int(len(results["person"]) * config.dirt * 0.05)) if config.dirt else 0
        )
        if unregistered:
            extra = lab.unregistered_results(rng, config.start, config.days, unregistered)
            results = {k: np.concatenate([results[k], extra[k]]) for k in results}
        versions = lab.version_results(results, rng, config.dirt)
        versions = versions.take(versions.delivery <= last_day)
        writer = FeedWriter(out, rng)
        line_index = lab.write_lab(writer, population, versions, config.seed)
        step("e-medical records")
        written = records.write_records(
            writer,
            population,
            record_rows,
            config.start,
            config.days,
            config.seed,
            config.dirt,
            rng,
        )
        step("contact tracing")
        identified = tracing.identification_minutes(epidemic, case_issued, rng)
        contact_versions = tracing.build_versions(epidemic, identified, tested, last_day, rng)
        tracing.write_tracing(
            writer,
            population,
            epidemic,
            contact_versions,
            config.start,
            last_day,
            config.seed,
            config.dirt,
            rng,
        )
        step("patient register")
        antibody = _positive_antibodies(versions)
        active = _active(len(population), versions, record_rows, epidemic)
        events, moves = register.build_events(
            population,
            epidemic,
            case_issued,
            identified,
            record_rows["Immunization"],
            antibody,
            active,
            config.start,
            config.days,
            rng,
        )
        register.write_register(
            writer, population, events, config.start, config.seed, config.dirt, rng
        )
        step("file faults")
        unreadable = _file_faults(out, writer, rng) if config.dirt else set()
        readable = ~np.isin(np.asarray(writer.line_files)[line_index], list(unreadable))
        step("truth")
        daily = truth.daily_by_okrug(
            population, epidemic, moves, truth.local_day_ordinal(identified)
        )
        summary = {
            "config": asdict(config),
            "lines": writer.lines_written,
            "records_by_resource": written,
            "files": len(writer.files),
            "faults": len(writer.faults),
            "calibration": truth.calibration(population, epidemic),
        }
        truth.write_truth(
            out / "_truth",
            truth.expected_tests_daily(versions, readable),
            daily,
            writer.faults,
            summary,
        )
    return CitySummary(
        dict(writer.lines_written),
        len(writer.files),
        len(writer.faults),
        time.perf_counter() - began,
        summary["calibration"],
    )


def _active(n: int, versions: lab.LabVersions, record_rows: dict, epidemic) -> np.ndarray:
    """Who appears in any feed: only others may leave the register (nothing after removal)."""
    active = np.zeros(n, dtype=bool)
    active[versions.person[versions.person >= 0]] = True
    for rows in record_rows.values():
        if rows:
            active[rows["person"]] = True
    active[epidemic.contacts.person[epidemic.contacts.person >= 0]] = True
    active[epidemic.cases.person] = True
    return active


def _positive_antibodies(versions: lab.LabVersions) -> tuple[np.ndarray, np.ndarray]:
    """(person, issued) of antibody results whose latest version is positive."""
    latest = versions.latest()
    positive = (latest.outcome == lab.DETECTED) | (np.nan_to_num(latest.value) >= 33.8)
    counted = np.isin(latest.status, [2, 3, 4])  # final, amended, corrected
    keep = (lab.LOINC_TYPE[latest.loinc] == 2) & positive & counted & (latest.person >= 0)
    return latest.person[keep], latest.issued[keep]


def _file_faults(out: Path, writer: FeedWriter, rng: np.random.Generator) -> set[int]:
    """A byte-identical re-delivery, a conflicting one, and a truncated gzip file (lab)."""
    lab_files = [i for i, f in enumerate(writer.files) if f.feed == "lab"]
    if len(lab_files) < 6:
        return set()
    last_folder = writer.files[lab_files[-1]].relative.split("/")[1]
    earlier = [i for i in lab_files if writer.files[i].relative.split("/")[1] != last_folder]
    half = len(earlier) // 2
    identical = writer.files[earlier[int(rng.integers(0, half))]]
    conflicting = writer.files[earlier[int(rng.integers(half, len(earlier)))]]
    for source, kind, expected in (
        (identical, "redelivered_identical", "duplicate_skipped"),
        (conflicting, "redelivered_conflicting", "conflict_rejected"),
    ):
        target = f"lab/{last_folder}/{source.relative.split('/')[-1]}"
        payload = (out / source.relative).read_bytes()
        if kind == "redelivered_conflicting":
            payload = payload[:-1] if source.compressed else payload + b"\n"
        (out / target).write_bytes(payload)
        writer.faults.append(Fault("lab", kind, target, None, None, expected))
    candidates = [
        i
        for i in earlier
        if writer.files[i].compressed and writer.files[i] not in (identical, conflicting)
    ]
    if not candidates:
        return set()
    chosen = candidates[int(rng.integers(0, len(candidates)))]
    path = out / writer.files[chosen].relative
    payload = path.read_bytes()
    path.write_bytes(payload[: len(payload) // 2])
    writer.faults.append(
        Fault("lab", "truncated_gzip", writer.files[chosen].relative, None, None, "bad_gzip")
    )
    _encoding_error(out, writer, rng)
    return {chosen}


def _encoding_error(out: Path, writer: FeedWriter, rng: np.random.Generator) -> None:
    """One tracing file whose exporter wrote a Cyrillic name in Windows-1251, not UTF-8."""
    files = [f for f in writer.files if f.feed == "tracing" and not f.compressed]
    if not files:
        return
    file = files[int(rng.integers(0, len(files)))]
    path = out / file.relative
    text = path.read_bytes()
    marker = b'"contact_name":"'
    at = text.find(marker) + len(marker)
    end = text.find(b'"', at)
    path.write_bytes(text[:at] + "Пётр Иванов".encode("cp1251") + text[end:])
    writer.faults.append(Fault("tracing", "encoding_error", file.relative, None, None, "not_utf8"))


__all__ = ["CityConfig", "CitySummary", "generate_city"]
