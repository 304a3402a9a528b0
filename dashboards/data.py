"""What the officials' page may show: mart rows -> suppressed figures (pure functions).

Suppression happens here, on the data, so no redacted count reaches the page or its
source: counts of 1-7 are redacted, others rounded to the nearest 5 (OpenSAFELY), and a
rate whose denominator would be redacted is redacted with it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from epilake.privacy import REDACTION_THRESHOLD, suppress_count

TEST_TYPES = ("pcr", "antigen", "antibody")


@dataclass(frozen=True)
class TestsDay:
    date: date
    test_type: str
    tests: int
    positives: int
    positivity_rolling_7d: float | None


def _window_sum(by_date: dict[date, int], day: date, days: int = 7) -> int:
    return sum(by_date.get(day - timedelta(days=offset), 0) for offset in range(days))


def build_tests_view(rows: list[TestsDay], run_id: str | None = None) -> dict:
    """The page's data: daily series, headline tiles and the latest fortnight, suppressed."""
    if not rows:
        return {"as_of": None, "run_id": run_id, "series": [], "tiles": {}, "recent": []}
    dates = sorted({r.date for r in rows})
    as_of = dates[-1]
    tests = {(r.date, r.test_type): r.tests for r in rows}
    positives = {(r.date, r.test_type): r.positives for r in rows}
    pcr_tests_by_date: dict[date, int] = defaultdict(int)
    positivity = {}
    for r in rows:
        if r.test_type == "pcr":
            pcr_tests_by_date[r.date] = r.tests
            positivity[r.date] = r.positivity_rolling_7d

    def safe_positivity(day: date) -> float | None:
        if _window_sum(pcr_tests_by_date, day) <= REDACTION_THRESHOLD:
            return None
        return positivity.get(day)

    series = [
        {
            "date": day.isoformat(),
            **{f"tests_{t}": suppress_count(tests.get((day, t), 0)) for t in TEST_TYPES},
            **{f"positives_{t}": suppress_count(positives.get((day, t), 0)) for t in TEST_TYPES},
            "pcr_positivity_7d": safe_positivity(day),
        }
        for day in dates
    ]

    def total(counts: dict, days_back: int) -> int:
        end = as_of - timedelta(days=days_back)
        return sum(v for (day, _), v in counts.items() if end - timedelta(days=6) <= day <= end)

    previous_positivity = safe_positivity(as_of - timedelta(days=7))
    tiles = {
        "tests_7d": suppress_count(total(tests, 0)),
        "tests_prev_7d": suppress_count(total(tests, 7)),
        "positives_7d": suppress_count(total(positives, 0)),
        "positives_prev_7d": suppress_count(total(positives, 7)),
        "pcr_positivity_7d": safe_positivity(as_of),
        "pcr_positivity_prev_7d": previous_positivity,
    }
    return {
        "as_of": as_of.isoformat(),
        "run_id": run_id,
        "series": series,
        "tiles": tiles,
        "recent": series[-14:][::-1],
    }
