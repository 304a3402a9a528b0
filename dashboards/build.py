"""Build the officials' dashboard from the marts (the only I/O of ``dashboards``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from dashboards.data import ALL, MARTS_SHOWN, MartFigures, build_view, held_notes
from dashboards.render import render_page
from epilake.publication import read_statuses

# (mart, columns summed per date and okrug): each becomes a daily series on the page.
DAILY_COLUMNS = {
    "fct_cases_daily": ("new_cases", "cases_rolling_7d", "population"),
    "fct_hospital_daily": (
        "admissions",
        "occupied_beds",
        "icu_occupied",
        "deaths_28d",
        "ambulance_callouts",
    ),
    "fct_tracing_daily": ("index_cases", "contacts"),
    "fct_immunity_daily": (
        "vaccinated_first_dose",
        "fully_vaccinated",
        "recovered",
        "antibody_positive",
    ),
    "fct_home_monitoring_daily": (
        "patients_monitored",
        "consultations",
        "low_spo2_alerts",
        "escalated_to_hospital",
    ),
}
# Counts the marts hold as percentages: back to counts (then suppressed like any other).
DERIVED_COUNTS = {
    "contacts_notified_24h": """
        select date, okrug,
               round(contacts * coalesce(contacts_notified_within_24h_pct, 0) / 100) as value
        from marts.fct_tracing_daily""",
    "covered": """
        select immunity.date, immunity.okrug,
               round(sum(coalesce(immunity.coverage_pct, 0) * cases.population / 100)) as value
        from marts.fct_immunity_daily as immunity
        join marts.fct_cases_daily as cases using (date, okrug, age_band)
        group by all""",
    "pcr_tests": """
        select date, okrug, tests as value from marts.fct_tests_daily where test_type = 'pcr'""",
}


def _published(connection: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        name
        for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }


def _rows(connection: duckdb.DuckDBPyConnection, published: set[str], query: str) -> list:
    """The query's rows; none when a mart it reads was never published (held back since the
    first run: the page then says so instead of showing it)."""
    if not set(re.findall(r"marts\.(\w+)", query)) <= published:
        return []
    return connection.execute(query).fetchall()


def read_figures(connection: duckdb.DuckDBPyConnection) -> MartFigures:
    okrugs = connection.execute(
        "select okrug, name from reference.okrugs order by okrug"
    ).fetchall()
    figures = MartFigures(okrugs=okrugs)
    published = _published(connection)
    for mart, columns in DAILY_COLUMNS.items():
        sums = ", ".join(f"sum({c})" for c in columns)
        query = f"select date, okrug, {sums} from marts.{mart} group by all"
        for day, okrug, *values in _rows(connection, published, query):
            for column, value in zip(columns, values, strict=True):
                figures.add(day, okrug, column, int(value))
    for column, query in DERIVED_COUNTS.items():
        for day, okrug, value in _rows(connection, published, query):
            figures.add(day, okrug, column, int(value))
    for day, okrug, value in _rows(
        connection,
        published,
        "select date, okrug, positivity_rolling_7d from marts.fct_tests_daily "
        "where test_type = 'pcr'",
    ):
        figures.positivity[day, okrug] = value
    for day, value in _rows(
        connection,
        published,
        "select date, positivity_rolling_7d from marts.fct_tests_daily_city where test_type = 'pcr'",
    ):
        figures.positivity[day, ALL] = value
    for day, okrug, band, value in _rows(
        connection,
        published,
        "select date, okrug, age_band, new_cases from marts.fct_cases_daily where new_cases > 0",
    ):
        figures.cases_by_band[day, okrug, band] = value
    return figures


def build_dashboard(warehouse: Path, out_dir: Path, run_id: str | None = None) -> Path:
    """Write ``index.html`` (self-contained, data inline) and ``data.json`` (the same data)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        view = build_view(read_figures(connection), run_id=run_id)
    view["held"] = held_notes(read_statuses(warehouse), MARTS_SHOWN)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "data.json").write_text(json.dumps(view, separators=(",", ":")) + "\n")
    page = out_dir / "index.html"
    page.write_text(render_page(view), encoding="utf-8")
    return page
