import json
import re
from datetime import date, timedelta

from dashboards.data import TestsDay, build_tests_view
from dashboards.render import render_page

START = date(2020, 4, 1)


def _rows(days=21, pcr=40, positives=9, small_day=5):
    rows = []
    for offset in range(days):
        day = START + timedelta(days=offset)
        rows.append(TestsDay(day, "pcr", pcr, positives, 22.5))
        tests = 3 if offset == small_day else 20
        rows.append(TestsDay(day, "antigen", tests, 1, None))
        rows.append(TestsDay(day, "antibody", 0, 0, None))
    return rows


def _counts(view):
    for day in view["series"]:
        for key, value in day.items():
            if key.startswith(("tests_", "positives_")):
                yield value
    for key, value in view["tiles"].items():
        if not key.startswith("pcr_positivity"):
            yield value


def test_no_count_between_1_and_7_reaches_the_page_data():
    view = build_tests_view(_rows())
    assert all(v is None or v == 0 or v >= 8 for v in _counts(view))
    assert all(v is None or v % 5 == 0 for v in _counts(view))
    page = render_page(view)
    embedded = json.loads(re.search(r'id="dashboard-data">(.*?)</script>', page).group(1))
    assert embedded == json.loads(json.dumps(view))


def test_headline_tiles_are_suppressed_sums_of_the_last_seven_days():
    view = build_tests_view(_rows())
    assert view["as_of"] == (START + timedelta(days=20)).isoformat()
    assert view["tiles"]["tests_7d"] == 7 * (40 + 20)  # 420, already a multiple of 5
    assert view["tiles"]["positives_7d"] == 7 * (9 + 1)
    assert view["tiles"]["pcr_positivity_7d"] == 22.5


def test_positivity_is_suppressed_when_its_denominator_would_be():
    rows = [TestsDay(START + timedelta(days=d), "pcr", 1, 1, 100.0) for d in range(3)]
    view = build_tests_view(rows)
    assert all(day["pcr_positivity_7d"] is None for day in view["series"])
    assert "[REDACTED]" in render_page(view)


def test_page_is_self_contained_and_accessible():
    page = render_page(build_tests_view(_rows()))
    assert "http://" not in page and "https://" not in page and "<script src" not in page
    assert 'role="img"' in page and "<desc" in page and "<caption>" in page


def test_empty_marts_render_a_page():
    assert "No results yet" in render_page(build_tests_view([]))
