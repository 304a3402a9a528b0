"""The page's data: suppression, headline tiles and the self-contained page (pure functions)."""

import json
import re
from datetime import date, timedelta

from dashboards.data import ALL, MartFigures, build_view, published_counts
from dashboards.render import render_page
from epilake.privacy import suppress_count

START = date(2020, 4, 1)
OKRUGS = [("CAO", "Central"), ("SAO", "Northern")]


def _figures(days=21) -> MartFigures:
    """CAO has plenty of cases, SAO a handful (which must never show), unknown one a day."""
    figures = MartFigures(okrugs=OKRUGS)
    for offset in range(days):
        day = START + timedelta(days=offset)
        for okrug, cases, tests in (("CAO", 40 + offset, 300), ("SAO", 2, 6), ("unknown", 1, 1)):
            figures.add(day, okrug, "new_cases", cases)
            figures.add(day, okrug, "pcr_tests", tests)
            figures.add(day, okrug, "population", 0 if okrug == "unknown" else 50_000)
            figures.add(day, okrug, "contacts", 3 * cases)
            figures.add(day, okrug, "contacts_notified_24h", 2 * cases)
            figures.cases_by_band[day, okrug, "18-45"] = cases
        figures.positivity[day, "CAO"] = 12.345
        figures.positivity[day, "SAO"] = 50.0
        figures.positivity[day, ALL] = 13.0
    return figures


def test_no_count_between_1_and_7_reaches_the_page_data():
    view = build_view(_figures())
    counts = list(published_counts(view))
    assert len(counts) > 500
    assert all(v is None or v == 0 or (v >= 8 and v % 5 == 0) for v in counts)
    assert view["daily"]["SAO"]["new_cases"][0] is None  # 2 cases: redacted, not rounded to 0


def test_totals_are_summed_at_full_precision_then_suppressed():
    view = build_view(_figures())
    first = view["daily"][ALL]["new_cases"][0]
    assert first == suppress_count(40 + 2 + 1)  # not the sum of the suppressed parts
    tiles = view["tiles"][ALL]["now"]
    last_week = sum(40 + d + 2 + 1 for d in range(14, 21))
    assert tiles["cases_7d"] == suppress_count(last_week)
    assert view["tiles"][ALL]["before"]["cases_7d"] == suppress_count(
        sum(40 + d + 2 + 1 for d in range(7, 14))
    )


def test_rates_come_from_suppressed_counts_and_vanish_with_them():
    view = build_view(_figures())
    cao = view["tiles"]["CAO"]["now"]
    assert cao["cases_rate_7d"] == round(100_000 * cao["cases_7d"] / 50_000, 1)
    assert cao["contacts_7d"] == suppress_count(sum(3 * (40 + d) for d in range(14, 21)))
    notified = suppress_count(sum(2 * (40 + d) for d in range(14, 21)))
    assert cao["contacts_within_24h_pct"] == round(100 * notified / cao["contacts_7d"], 1)
    sao = view["tiles"]["SAO"]["now"]
    assert sao["cases_7d"] == 15  # 14 cases in the week: shown, rounded
    assert sao["pcr_positivity_7d"] == 50.0  # 42 PCR tests in the week: not redacted
    few = _figures(days=1)
    assert build_view(few)["tiles"]["SAO"]["now"]["pcr_positivity_7d"] is None  # 6 tests
    assert build_view(few)["tiles"]["SAO"]["now"]["cases_rate_7d"] is None  # 2 cases


def test_the_page_embeds_exactly_the_view_and_needs_no_network():
    view = build_view(_figures(), run_id="run-123")
    page = render_page(view)
    embedded = json.loads(re.search(r'id="dashboard-data">(.*?)</script>', page).group(1))
    assert embedded == json.loads(json.dumps(view))
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<script src" not in page and "<link" not in page
    assert "run-123" in page and view["as_of"] in page


def test_empty_marts_render_a_page():
    view = build_view(MartFigures(okrugs=OKRUGS))
    assert view["dates"] == [] and "No data yet" in render_page(view)


def _held_immunity(published_at):
    from epilake.publication import MartStatus

    return {
        "marts.fct_immunity_daily": MartStatus(
            "marts.fct_immunity_daily",
            "held",
            date(2020, 4, 8),
            "silver/immunizations:silver__immunizations",
            "expect_column_values_to_be_between on occurred_date [critical]: 3 rows",
            published_at,
        ),
        "marts.fct_cases_daily": MartStatus(
            "marts.fct_cases_daily", "published", None, None, None, published_at
        ),
    }


def test_a_held_mart_gets_a_banner_and_a_note_on_each_chart_drawn_from_it():
    from datetime import datetime

    from dashboards.data import MARTS_SHOWN, held_notes

    view = build_view(_figures())
    view["held"] = held_notes(_held_immunity(datetime(2020, 4, 7, 9, 0)), MARTS_SHOWN)
    assert view["held"] == [
        {
            "mart": "fct_immunity_daily",
            "since": "2020-04-08",
            "served": "2020-04-07",
            "why": "a quality check on the vaccination records failed",
            "detail": "expect_column_values_to_be_between on occurred_date [critical]: 3 rows",
        }
    ]
    page = render_page(view)
    banner = re.search(r'<div id="held-banner"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "fct_immunity_daily since 2020-04-08" in banner
    assert "vaccination records" in banner
    notes = re.findall(r'data-chart="([^"]+)"', page)
    assert sorted(notes) == ["coverage", "immunity", "tiles"]  # not the cases curve


def test_a_page_without_holds_has_no_banner():
    view = build_view(_figures())
    view["held"] = []
    page = render_page(view)
    assert "held-banner" not in page and "data-chart=" not in page


def test_a_page_is_built_when_a_shown_mart_was_never_published(settings, tmp_path):
    """Held back since the first run: no figures to show, and the page says why."""
    import duckdb

    from dashboards.build import build_dashboard
    from epilake.publication import GateFailure, publish

    settings.build_warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.build_warehouse)) as connection:
        connection.execute("create schema reference")
        connection.execute("create table reference.okrugs as select 'CAO' as okrug, 'C' as name")
    failure = GateFailure("silver/lab_results", "silver__lab_results", "unmatched share 1.0")
    relations = [f"marts.{mart}" for mart in ("fct_cases_daily", "fct_tests_daily")]
    publish(settings, relations, {r: [failure] for r in relations}, date(2020, 4, 2))

    page = build_dashboard(settings.warehouse, tmp_path / "page").read_text()
    assert 'id="held-banner"' in page and "lab results" in page
    assert "no figures yet" in page
