"""The questions the officials' dashboard asks the marts, as parameterised DuckDB SQL.

Each query takes ``$okrug`` (an okrug code, or ``all``) and the date range ``$start`` ..
``$end``: the page's two filters. The benchmark times exactly these (p50/p95).
"""

from __future__ import annotations

from datetime import date

import duckdb

OKRUG_FILTER = "($okrug = 'all' or okrug = $okrug)"
IN_RANGE = "date between $start and $end"

DASHBOARD_QUERIES: dict[str, str] = {
    # Headline tiles: the last 7 days against the 7 before.
    "headline_cases": f"""
        select
            sum(new_cases) filter (where date > $end - 7) as cases_7d,
            sum(new_cases) filter (where date <= $end - 7) as cases_previous_7d
        from marts.fct_cases_daily
        where {OKRUG_FILTER} and date between $end - 13 and $end
    """,
    "headline_hospital": f"""
        select
            sum(admissions) filter (where date > $end - 7) as admissions_7d,
            sum(admissions) filter (where date <= $end - 7) as admissions_previous_7d,
            sum(occupied_beds) filter (where date = $end) as occupied_beds,
            sum(icu_occupied) filter (where date = $end) as icu_occupied,
            sum(deaths_28d) filter (where date > $end - 7) as deaths_7d
        from marts.fct_hospital_daily
        where {OKRUG_FILTER} and date between $end - 13 and $end
    """,
    # The epidemic curve: daily cases and the 7-day average.
    "epidemic_curve": f"""
        select
            date,
            sum(new_cases) as new_cases,
            sum(cases_rolling_7d) / 7.0 as average_7d
        from marts.fct_cases_daily
        where {OKRUG_FILTER} and {IN_RANGE}
        group by date
        order by date
    """,
    # Okrug comparison on the last date: 7-day rate per 100,000.
    "okrug_rates": """
        select
            okrug,
            sum(cases_rolling_7d) as cases_7d,
            sum(population) as population,
            100000.0 * sum(cases_rolling_7d) / nullif(sum(population), 0) as rate_7d_per_100k
        from marts.fct_cases_daily
        where date = $end and okrug != 'unknown' and ($okrug = 'all' or okrug = $okrug)
        group by okrug
        order by okrug
    """,
    "age_bands": f"""
        select date, age_band, sum(cases_rolling_7d) as cases_7d
        from marts.fct_cases_daily
        where {OKRUG_FILTER} and {IN_RANGE}
        group by date, age_band
        order by date, age_band
    """,
    "pcr_positivity": f"""
        select date, sum(tests) as tests, sum(positives) as positives
        from marts.fct_tests_daily
        where test_type = 'pcr' and {OKRUG_FILTER} and {IN_RANGE}
        group by date
        order by date
    """,
    "hospital_load": f"""
        select
            date,
            sum(admissions) as admissions,
            sum(occupied_beds) as occupied_beds,
            sum(icu_occupied) as icu_occupied,
            sum(ambulance_callouts) as ambulance_callouts
        from marts.fct_hospital_daily
        where {OKRUG_FILTER} and {IN_RANGE}
        group by date
        order by date
    """,
    "tracing": f"""
        select
            date,
            sum(index_cases) as index_cases,
            sum(contacts) as contacts,
            sum(contacts * contacts_notified_within_24h_pct) / nullif(sum(contacts), 0)
                as notified_within_24h_pct
        from marts.fct_tracing_daily
        where {OKRUG_FILTER} and {IN_RANGE}
        group by date
        order by date
    """,
    "immunity": f"""
        select
            date,
            sum(fully_vaccinated) as fully_vaccinated,
            sum(recovered) as recovered,
            sum(antibody_positive) as antibody_positive
        from marts.fct_immunity_daily
        where {OKRUG_FILTER} and {IN_RANGE}
        group by date
        order by date
    """,
    "home_monitoring": f"""
        select
            date,
            sum(patients_monitored) as patients_monitored,
            sum(low_spo2_alerts) as low_spo2_alerts,
            sum(escalated_to_hospital) as escalated_to_hospital
        from marts.fct_home_monitoring_daily
        where {OKRUG_FILTER} and {IN_RANGE}
        group by date
        order by date
    """,
}


def run_dashboard_query(
    connection: duckdb.DuckDBPyConnection, name: str, okrug: str, start: date, end: date
) -> list[tuple]:
    """One dashboard query with the page's filters."""
    sql = DASHBOARD_QUERIES[name]
    values = {"okrug": okrug, "start": start, "end": end}
    # DuckDB refuses parameters a statement does not use.
    return connection.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql}).fetchall()
