"""The officials' page built by a real run, opened in Debian's chromium (headless)."""

import json
import os
import shutil
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import sync_playwright

from dashboards.data import published_counts
from dashboards.serve import make_server
from epilake.privacy import REDACTION_THRESHOLD, suppress_count

pytestmark = pytest.mark.integration
OUTPUT = Path(__file__).resolve().parents[2] / "output" / "dashboard"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


def chromium() -> str:
    path = os.environ.get("EPILAKE_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("No chromium on PATH: `make test` installs it (apt-get install chromium).")
    return path


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, city, request):
    """The built page, loaded; console errors collected; a screenshot saved afterwards."""
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto((city.settings.dashboards_dir / "index.html").as_uri())
    tab.wait_for_selector("body[data-ready=true]", timeout=10_000)
    tab.errors = errors
    yield tab
    OUTPUT.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(OUTPUT / f"{request.node.name}.png"), full_page=True)
    tab.close()


# The test city is small: its daily counts per okrug are mostly 7 or fewer, so the page
# (rightly) redacts them. To see the charts respond to filters, the same marts are scaled up.
SCALE = 25
SCALED = {
    "fct_cases_daily": ("new_cases", "cases_rolling_7d", "cumulative_cases", "population"),
    "fct_tests_daily": ("tests", "positives"),
    "fct_tests_daily_city": ("tests", "positives"),
    "fct_hospital_daily": ("admissions", "occupied_beds", "icu_occupied", "ambulance_callouts"),
}


@pytest.fixture(scope="module")
def busy_page_path(city, tmp_path_factory):
    from dashboards.build import build_dashboard

    root = tmp_path_factory.mktemp("busy")
    warehouse = root / "warehouse.duckdb"
    shutil.copy(city.settings.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        for mart, columns in SCALED.items():
            sets = ", ".join(f"{c} = {c} * {SCALE}" for c in columns)
            connection.execute(f"update marts.{mart} set {sets}")
    return build_dashboard(warehouse, root / "dashboards", run_id="busy")


@pytest.fixture
def busy_page(browser, busy_page_path, request):
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(busy_page_path.as_uri())
    tab.wait_for_selector("body[data-ready=true]", timeout=10_000)
    tab.errors = errors
    yield tab
    OUTPUT.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(OUTPUT / f"{request.node.name}.png"), full_page=True)
    tab.close()


def _tile(tab, name):
    text = tab.get_attribute(f'[data-tile="{name}"] .value', "data-value")
    return None if text == "" else float(text)


def _expected_tiles(city):
    """The headline figures computed straight from the marts, then suppressed."""
    with duckdb.connect(str(city.settings.warehouse), read_only=True) as connection:
        as_of = connection.execute("select max(date) from marts.fct_cases_daily").fetchone()[0]
        week = (as_of - timedelta(days=6), as_of)

        def total(sql):
            return connection.execute(sql, week).fetchone()[0] or 0

        cases = total("select sum(new_cases) from marts.fct_cases_daily where date between ? and ?")
        admissions = total(
            "select sum(admissions) from marts.fct_hospital_daily where date between ? and ?"
        )
        deaths = total(
            "select sum(deaths_28d) from marts.fct_hospital_daily where date between ? and ?"
        )
        beds = connection.execute(
            "select sum(occupied_beds) from marts.fct_hospital_daily where date = ?", [as_of]
        ).fetchone()[0]
        pcr = total(
            "select sum(tests) from marts.fct_tests_daily_city "
            "where test_type = 'pcr' and date between ? and ?"
        )
        positivity = connection.execute(
            "select positivity_rolling_7d from marts.fct_tests_daily_city "
            "where test_type = 'pcr' and date = ?",
            [as_of],
        ).fetchone()[0]
    return {
        "cases_7d": suppress_count(cases),
        "admissions_7d": suppress_count(admissions),
        "deaths_28d_7d": suppress_count(deaths),
        "occupied_beds": suppress_count(beds),
        "pcr_positivity_7d": (
            None if pcr <= REDACTION_THRESHOLD or positivity is None else round(positivity, 1)
        ),
    }


def test_the_page_loads_without_console_errors(page, city):
    assert page.errors == []
    assert (
        page.inner_text("#as-of")
        == json.loads((city.settings.dashboards_dir / "data.json").read_text())["as_of"]
    )
    assert page.inner_text("#run-id") == city.report.run_id
    assert page.locator("svg[role=img]").count() >= 8  # every chart drawn, each with a title
    assert page.locator("svg[role=img] > desc").count() >= 8


def test_headline_figures_equal_the_marts_after_suppression(page, city):
    expected = _expected_tiles(city)
    assert expected["cases_7d"] is not None
    for name, value in expected.items():
        assert _tile(page, name) == value, name


def test_changing_the_okrug_changes_the_curve_and_the_tiles(busy_page):
    page = busy_page
    city_total = int(page.get_attribute("#curve", "data-total"))
    city_cases = _tile(page, "cases_7d")
    city_path = page.get_attribute('#curve path[data-series="new cases"]', "d")
    totals = {}
    for okrug, name in (("SAO", "Northern"), ("VAO", "Eastern")):
        page.select_option("#okrug", okrug)
        totals[okrug] = int(page.get_attribute("#curve", "data-total"))
        assert page.get_attribute('#curve path[data-series="new cases"]', "d") != city_path
        assert f"Showing {name}," in page.inner_text("#filter-summary")
    assert 0 < totals["SAO"] < city_total and totals["SAO"] != totals["VAO"]
    assert _tile(page, "cases_7d") != city_cases
    assert page.errors == []


def test_the_date_range_applies_to_the_charts(busy_page):
    page = busy_page
    whole = int(page.get_attribute("#curve", "data-total"))
    dates = json.loads(page.inner_text("#dashboard-data"))["dates"]
    page.fill("#from", dates[len(dates) // 2])
    page.dispatch_event("#from", "change")
    assert 0 < int(page.get_attribute("#curve", "data-total")) < whole
    assert dates[len(dates) // 2] in page.inner_text("#curve ~ figcaption")
    assert page.errors == []


def test_the_okrug_table_sorts_by_any_column(page):
    page.click('button[data-sort="code"]')
    first = page.locator("#okrug-table tbody tr").first.get_attribute("data-okrug")
    page.click('button[data-sort="code"]')
    again = page.locator("#okrug-table tbody tr").first.get_attribute("data-okrug")
    assert {first, again} == {"ZELAO", "CAO"}


def test_the_page_data_holds_no_count_between_1_and_7(city):
    view = json.loads((city.settings.dashboards_dir / "data.json").read_text())
    counts = list(published_counts(view))
    assert len(counts) > 1000
    small = [v for v in counts if v is not None and 1 <= v <= REDACTION_THRESHOLD]
    assert small == []
    page = (city.settings.dashboards_dir / "index.html").read_text()
    assert "https://" not in page and "<script src" not in page


def test_epilake_dashboards_serve_serves_the_page(city):
    server = make_server(city.settings.dashboards_dir, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
            assert "Where the epidemic stands" in response.read().decode()
    finally:
        server.shutdown()
        server.server_close()


def test_the_page_fits_a_tablet_screen(browser, city):
    tablet = browser.new_page(viewport={"width": 768, "height": 1024})
    tablet.goto((city.settings.dashboards_dir / "index.html").as_uri())
    tablet.wait_for_selector("body[data-ready=true]", timeout=10_000)
    overflow = tablet.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    chart_width = tablet.evaluate(
        "() => document.querySelector('#curve svg').getBoundingClientRect().width"
    )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    tablet.screenshot(path=str(OUTPUT / "tablet.png"), full_page=True)
    tablet.close()
    assert overflow <= 0  # no sideways scrolling
    assert 600 <= chart_width <= 768  # the curve uses the width it has
