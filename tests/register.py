"""Builders of register feed rows and files for tests (CSV with the contract's header)."""

import csv
import io
from pathlib import Path

from spark_jobs.register import codes

BASE = {
    "event_id": "evt-1",
    "event_time": "2020-04-01T10:00:00+03:00",
    "op": "upsert",
    "patient_id": "7700000001",
    "policy_number": "7795040888963407",
    "last_name": "Ivanova",
    "first_name": "Anastasia",
    "middle_name": "Aleksandrovna",
    "birth_date": "1960-05-20",
    "sex": "female",
    "okrug": "ZAO",
    "address": "Moscow, ZAO, Tverskaya ul. 1, apt 1",
    "phone": "+79000000000",
    "covid_status": "none",
    "contact_status": "none",
    "immune_status": "none",
    "status_since": "2020-03-01",
}


def row(**changes) -> str:
    """One CSV line: the base event with changes."""
    values = {**BASE, **changes}
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([values[c] for c in codes.COLUMNS])
    return out.getvalue()


def deliver(landing: Path, day: str, *lines: str, batch: str = "01") -> Path:
    """A register file of ``lines`` (default: the base patient) in ``register/<day>/``."""
    folder = landing / "register" / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"reg-{day.replace('-', '')}-{batch}.csv"
    path.write_text("\n".join([codes.HEADER, *(lines or (row(),))]) + "\n")
    return path
