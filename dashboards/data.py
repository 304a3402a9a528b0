"""What the officials' page may show: mart rows -> suppressed figures (pure functions).

Suppression happens here, on the data, so no redacted count reaches the page or its
source: counts of 1-7 are redacted (None) and others rounded to the nearest 5 (OpenSAFELY).
Every total is summed at full precision and suppressed once, never rebuilt from suppressed
parts; every rate is computed from suppressed counts, and is None when one of them is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from epilake.privacy import REDACTION_THRESHOLD, suppress_count

# The marts the officials' page is drawn from (its dbt exposure names the same).
MARTS_SHOWN = (
    "fct_cases_daily",
    "fct_tests_daily",
    "fct_tests_daily_city",
    "fct_hospital_daily",
    "fct_tracing_daily",
    "fct_immunity_daily",
    "fct_home_monitoring_daily",
)
ALL = "all"
UNKNOWN = "unknown"
# The newest days are incomplete: results of specimens taken then are still arriving.
INCOMPLETE_DAYS = 3
# Daily counts per okrug the page receives (suppressed), by mart column.
COUNTS = (
    "new_cases",
    "cases_rolling_7d",
    "population",
    "pcr_tests",
    "admissions",
    "occupied_beds",
    "icu_occupied",
    "deaths_28d",
    "ambulance_callouts",
    "index_cases",
    "contacts",
    "contacts_notified_24h",
    "vaccinated_first_dose",
    "fully_vaccinated",
    "recovered",
    "antibody_positive",
    "covered",
    "patients_monitored",
    "consultations",
    "low_spo2_alerts",
    "escalated_to_hospital",
)
AGE_BANDS = ("0-17", "18-45", "46-65", "66-79", "80+")


@dataclass
class MartFigures:
    """Full-precision daily figures per okrug, as read from the marts (build.py)."""

    okrugs: list[tuple[str, str]]  # (code, name) of the 12 okrugs
    counts: dict[tuple[date, str, str], int] = field(default_factory=dict)  # (day, okrug, col)
    # 7-day PCR positivity (%) per day for each okrug and for ALL; None without PCR.
    positivity: dict[tuple[date, str], float | None] = field(default_factory=dict)
    cases_by_band: dict[tuple[date, str, str], int] = field(
        default_factory=dict
    )  # day, okrug, band

    def add(self, day: date, okrug: str, column: str, value: int) -> None:
        self.counts[day, okrug, column] = self.counts.get((day, okrug, column), 0) + value


def rate(numerator: int | None, denominator: int | None, per: int) -> float | None:
    """numerator/denominator x per, None when either is redacted or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return round(per * numerator / denominator, 1)


def _places(figures: MartFigures) -> list[str]:
    return [code for code, _ in figures.okrugs] + [UNKNOWN]


def _sum(figures: MartFigures, days: Iterable[date], okrugs: list[str], column: str) -> int:
    return sum(figures.counts.get((d, o, column), 0) for d in days for o in okrugs)


def _window(end: date, days: int = 7) -> list[date]:
    return [end - timedelta(days=offset) for offset in range(days)]


def _okrug_filter(figures: MartFigures, choice: str) -> list[str]:
    return _places(figures) if choice == ALL else [choice]


def safe_positivity(figures: MartFigures, day: date, choice: str) -> float | None:
    """Positivity, unless the window's PCR tests would be redacted."""
    tests = _sum(figures, _window(day), _okrug_filter(figures, choice), "pcr_tests")
    value = figures.positivity.get((day, choice))
    if tests <= REDACTION_THRESHOLD or value is None:
        return None
    return round(value, 1)


def tiles(figures: MartFigures, as_of: date, choice: str) -> dict:
    """Headline figures for one okrug filter: the 7 days to as_of, and the 7 before."""
    okrugs = _okrug_filter(figures, choice)
    this_week, last_week = _window(as_of), _window(as_of - timedelta(days=7))

    def week_sum(column: str, days: list[date]) -> int | None:
        return suppress_count(_sum(figures, days, okrugs, column))

    def on(column: str, day: date) -> int | None:
        return suppress_count(_sum(figures, [day], okrugs, column))

    population = on("population", as_of)
    result = {}
    for label, days in (("now", this_week), ("before", last_week)):
        end = days[0]
        cases = week_sum("new_cases", days)
        contacts = week_sum("contacts", days)
        population_then = on("population", end)
        result[label] = {
            "cases_7d": cases,
            "cases_rate_7d": rate(cases, population_then, 100_000),
            "pcr_positivity_7d": safe_positivity(figures, end, choice),
            "admissions_7d": week_sum("admissions", days),
            "occupied_beds": on("occupied_beds", end),
            "icu_occupied": on("icu_occupied", end),
            "deaths_28d_7d": week_sum("deaths_28d", days),
            "contacts_7d": contacts,
            "contacts_within_24h_pct": rate(week_sum("contacts_notified_24h", days), contacts, 100),
            "coverage_pct": rate(on("covered", end), population_then, 100),
        }
    result["population"] = population
    return result


def _weekly_bands(figures: MartFigures, dates: list[date]) -> dict:
    """New cases per ISO week and age band, for each okrug filter, suppressed."""
    weeks = sorted({d - timedelta(days=d.weekday()) for d in dates})
    by_choice: dict[str, dict[str, list[int | None]]] = {}
    for choice in [ALL, *(code for code, _ in figures.okrugs)]:
        okrugs = _okrug_filter(figures, choice)
        totals: dict[tuple[date, str], int] = defaultdict(int)
        for (day, okrug, band), value in figures.cases_by_band.items():
            if okrug in okrugs:
                totals[day - timedelta(days=day.weekday()), band] += value
        by_choice[choice] = {
            band: [suppress_count(totals.get((week, band), 0)) for week in weeks]
            for band in AGE_BANDS
        }
    return {"weeks": [w.isoformat() for w in weeks], "bands": list(AGE_BANDS), "cases": by_choice}


def build_view(figures: MartFigures, run_id: str | None = None) -> dict:
    """Everything the page shows, for every okrug filter, suppressed."""
    dates = sorted({day for day, _, _ in figures.counts})
    if not dates:
        return {"as_of": None, "run_id": run_id, "dates": [], "okrugs": figures.okrugs}
    as_of = dates[-1]
    daily = {}
    for choice in [ALL, *(code for code, _ in figures.okrugs), UNKNOWN]:
        okrugs = _places(figures) if choice == ALL else [choice]
        series = {
            column: [suppress_count(_sum(figures, [d], okrugs, column)) for d in dates]
            for column in COUNTS
        }
        if choice != UNKNOWN:
            series["pcr_positivity_7d"] = [safe_positivity(figures, d, choice) for d in dates]
        daily[choice] = series
    return {
        "as_of": as_of.isoformat(),
        "run_id": run_id,
        "incomplete_days": INCOMPLETE_DAYS,
        "okrugs": [{"code": code, "name": name} for code, name in figures.okrugs],
        "dates": [d.isoformat() for d in dates],
        "daily": daily,
        "tiles": {
            choice: tiles(figures, as_of, choice)
            for choice in [ALL, *(code for code, _ in figures.okrugs)]
        },
        "age_bands": _weekly_bands(figures, dates),
    }


# What officials call the tables a gate checks (asset key -> words), for the held-back notes.
CHECKED_TABLES = {
    "silver/lab_results": "lab results",
    "silver/encounters": "medical records of visits, call-outs and hospital stays",
    "silver/conditions": "diagnoses in the medical records",
    "silver/vital_signs": "home monitoring readings",
    "silver/ct_reports": "CT scan reports",
    "silver/immunizations": "vaccination records",
    "silver/patients": "the patient register",
    "silver/contacts": "contact tracing records",
}


def _in_words(gate: str) -> str:
    """``silver/immunizations:silver__immunizations; ...`` -> "vaccination records"."""
    tables = []
    for failed in (gate or "").split("; "):
        asset = failed.split(":")[0]
        layer, _, rest = asset.partition("/")
        if layer in ("bronze", "quarantine"):
            words = f"the {rest.split('/')[0]} feed's deliveries"
        else:  # a silver table, or a mart's own checks (its figures against their sources)
            words = CHECKED_TABLES.get(asset) or f"figures of {rest}"
        if words not in tables:
            tables.append(words)
    return ", ".join(tables)


def held_notes(statuses: dict, shown: Iterable[str]) -> list[dict]:
    """One note per held-back mart the page shows: since when, the figures' date, and why
    (the failed gate in words, then its own message). ``statuses``: relation -> MartStatus."""
    notes = []
    for mart in shown:
        status = statuses.get(f"marts.{mart}")
        if status is None or status.status != "held":
            continue
        served = status.published_at.date().isoformat() if status.published_at else None
        notes.append(
            {
                "mart": mart,
                "since": status.held_since.isoformat(),
                "served": served,
                "why": f"a quality check on the {_in_words(status.gate)} failed",
                "detail": status.reason,
            }
        )
    return notes


def published_counts(view: dict):
    """Every count the page receives (rates and percentages excluded): what suppression
    must have touched."""
    for daily in view.get("daily", {}).values():
        for column, values in daily.items():
            if column in COUNTS:
                yield from values
    for tiles_of_okrug in view.get("tiles", {}).values():
        yield tiles_of_okrug["population"]
        for week in ("now", "before"):
            for name, value in tiles_of_okrug[week].items():
                if not name.endswith(("_pct", "_rate_7d", "positivity_7d")):
                    yield value
    for bands in view.get("age_bands", {}).get("cases", {}).values():
        for values in bands.values():
            yield from values
