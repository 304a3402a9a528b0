"""The plain baseline: one DuckDB process computes ``fct_cases_daily`` and ``fct_tests_daily``
straight from the landing files (no Spark, no Delta, no gates, no dbt).

    python -m bench.baseline --landing /path/to/landing [--out DIR]

It is the floor for what one machine can do with the same definitions, so the benchmark
can say what the lakehouse costs on top. It reads each file's first delivery only (a file
name seen again is a re-delivery or a conflict), skips files that do not decompress whole
(a truncated gzip) and the records a plain reader would reject (malformed JSON, unparseable dates,
unknown codes, collection after issue or in the future), then applies the marts'
definitions in SQL. The result equals the marts on the test city (a test holds it to that).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import re
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

from epilake.settings import REPO_ROOT
from spark_jobs.common.landing import discover
from spark_jobs.lab.codes import (
    ANTIGEN_CODES,
    DETECTED,
    IGG_POSITIVE_THRESHOLD_BAU_ML,
    IGG_QUANTITY_CODE,
    PCR_CODES,
    RESULT_CODES,
    TEST_TYPE_BY_LOINC,
)
from spark_jobs.register.codes import ENUMERATIONS, OKRUGS

DBT_PROJECT_DIR = REPO_ROOT / "dbt"

LAB_COLUMNS = {
    "resourceType": "VARCHAR",
    "id": "VARCHAR",
    "meta": "STRUCT(lastUpdated VARCHAR)",
    "status": "VARCHAR",
    "code": "STRUCT(coding STRUCT(system VARCHAR, code VARCHAR)[])",
    "subject": "STRUCT(reference VARCHAR)",
    "effectiveDateTime": "VARCHAR",
    "issued": "VARCHAR",
    "valueQuantity": "STRUCT(value DOUBLE, unit VARCHAR)",
    "valueCodeableConcept": "STRUCT(coding STRUCT(system VARCHAR, code VARCHAR)[])",
}


def _sql_list(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def first_deliveries(landing: Path, feed: str) -> list[str]:
    """Paths of each file name's first delivery (later ones are re-deliveries or conflicts)."""
    files = sorted(
        (f for f in discover(landing, feed) if f.delivery_date and not f.naming_error),
        key=lambda f: (f.delivery_date, f.path.as_posix()),
    )
    chosen: dict[str, str] = {}
    for file in files:
        chosen.setdefault(file.file_name, file.path.as_posix())
    return sorted(chosen.values())


def gzip_is_whole(path: str) -> bool:
    """A gzip file that decompresses to its end (DuckDB reads a truncated one silently)."""
    try:
        with gzip.open(path, "rb") as stream:
            while stream.read(1 << 22):
                pass
    except (OSError, EOFError, zlib.error):
        return False
    return True


def _load_whole_files(
    connection: duckdb.DuckDBPyConnection, table: str, reader: str, files: list[str]
) -> list[str]:
    """``create table`` from ``reader`` over the readable ``files``; returns the others,
    left out whole the way the lakehouse quarantines a broken gzip."""
    broken = [f for f in files if f.endswith(".gz") and not gzip_is_whole(f)]
    readable = [f for f in files if f not in broken]
    connection.execute(f"create or replace table {table} as {reader}", [readable])
    return broken


LAB_SQL = f"""
with parsed as (
    select
        id as result_id,
        try_cast(meta.lastUpdated as timestamptz) as version_at,
        status,
        list_filter(code.coding, c -> c.system = 'http://loinc.org')[1].code as loinc,
        regexp_extract(subject.reference, '^Patient/([0-9]+)$', 1) as patient_id,
        try_cast(effectiveDateTime as timestamptz) as collected_at,
        try_cast(issued as timestamptz) as issued_at,
        valueQuantity.value as value,
        list_filter(
            valueCodeableConcept.coding, c -> c.system = 'http://snomed.info/sct'
        )[1].code as result_code,
        filename
    from raw_lab
    where resourceType = 'Observation'
),
valid as (
    select * from parsed
    where
        coalesce(result_id, '') != '' and version_at is not null
        and loinc in ({_sql_list(TEST_TYPE_BY_LOINC)})
        and patient_id != ''
        and collected_at is not null and issued_at is not null
        and collected_at <= $now and collected_at <= issued_at
        and (result_code is null or result_code in ({_sql_list(RESULT_CODES)}))
),
latest as (
    select * from valid
    qualify row_number() over (
        partition by result_id order by version_at desc, filename desc
    ) = 1
)
select
    result_id,
    patient_id,
    case
        when loinc in ({_sql_list(PCR_CODES)}) then 'pcr'
        when loinc in ({_sql_list(ANTIGEN_CODES)}) then 'antigen'
        else 'antibody'
    end as test_type,
    case
        when loinc = '{IGG_QUANTITY_CODE}'
            then coalesce(value >= {IGG_POSITIVE_THRESHOLD_BAU_ML}, result_code = '{DETECTED}')
        else result_code = '{DETECTED}'
    end as is_positive,
    collected_at,
    timezone('Europe/Moscow', collected_at)::date as specimen_date
from latest
where status in ('final', 'amended', 'corrected')
"""

REGISTER_SQL = f"""
with parsed as (
    select
        event_id,
        patient_id,
        op,
        try_cast(event_time as timestamptz) as event_at,
        try_cast(birth_date as date) as birth_date,
        sex,
        okrug,
        covid_status,
        filename
    from raw_register
),
valid as (
    select * from parsed
    where
        coalesce(event_id, '') != '' and regexp_full_match(patient_id, '[0-9]+')
        and event_at is not null and event_at <= $now
        and (op = 'delete' or (
            op = 'upsert' and birth_date is not null and birth_date <= $now::date
            and sex in ({_sql_list(ENUMERATIONS["sex"])})
            and okrug in ({_sql_list(OKRUGS)})
            and covid_status in ({_sql_list(ENUMERATIONS["covid_status"])})
        ))
    qualify row_number() over (partition by event_id order by filename) = 1
),
timeline as (
    select
        *,
        lead(event_at) over (partition by patient_id order by event_at, event_id) as until_at
    from valid
)
select
    patient_id,
    okrug,
    year(birth_date) as birth_year,
    month(birth_date) as birth_month,
    covid_status != 'deceased' as is_resident,
    timezone('Europe/Moscow', event_at)::date as from_date,
    coalesce(timezone('Europe/Moscow', until_at)::date, date '9999-12-31') as until_date
from timeline
where op = 'upsert' and from_date < until_date
"""


# The definitions' age bands (label, lowest age), as the dbt project defines them.
AGE_BANDS = [
    (label, lowest)
    for label, lowest in yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"][
        "age_bands"
    ]
]


def _band_of_age(age: str, known: str) -> str:
    bands = [f"when {known} is null then 'unknown'"]
    for (label, _), (_, next_low) in itertools.pairwise(AGE_BANDS):
        bands.append(f"when {age} < {next_low} then '{label}'")
    return f"case {' '.join(bands)} else '{AGE_BANDS[-1][0]}' end"


def _age_band(birth_year: str, birth_month: str, on_date: str) -> str:
    """The band of the age in whole years on the date, born on the first of the month."""
    age = (
        f"(year({on_date}) - {birth_year} - "
        f"case when month({on_date}) < {birth_month} then 1 else 0 end)"
    )
    return _band_of_age(age, birth_year)


MARTS_SQL = f"""
create or replace table calendar as
select unnest(generate_series(
    (select min(specimen_date) from results), $as_of::date, interval 1 day
))::date as date;

create or replace table episodes as
with recursive starts (patient_id, episode_start) as (
    select patient_id, min(specimen_date) from positives group by patient_id
    union all
    select starts.patient_id, min(positives.specimen_date)
    from starts join positives
        on positives.patient_id = starts.patient_id
        and positives.specimen_date >= starts.episode_start + 91
    group by starts.patient_id, starts.episode_start
)
select
    starts.episode_start as date,
    coalesce(v.okrug, 'unknown') as okrug,
    {_age_band("v.birth_year", "v.birth_month", "starts.episode_start")} as age_band,
    count(*) as new_cases
from starts
left join versions as v
    on v.patient_id = starts.patient_id
    and starts.episode_start >= v.from_date and starts.episode_start < v.until_date
group by all;

create or replace table population as
with years as (
    -- a resident's years of age: each runs from one birthday (first of the month) to the next
    select okrug, birth_year, birth_month, from_date, until_date,
        unnest(generate_series(
            year(from_date) - 1, least(year(until_date), year($as_of::date))
        )) as birthday_year
    from versions where is_resident
),
pieces as (
    select okrug, birthday_year - birth_year as age, birth_year,
        greatest(from_date, make_date(birthday_year, birth_month, 1),
            (select min(date) from calendar)) as from_date,
        least(until_date, make_date(birthday_year + 1, birth_month, 1)) as until_date
    from years
),
changes as (
    select okrug, {_band_of_age("age", "birth_year")} as age_band, from_date as day, 1 as n
    from pieces where from_date < until_date
    union all
    select okrug, {_band_of_age("age", "birth_year")}, until_date, -1
    from pieces where from_date < until_date
)
select calendar.date, strata.okrug, strata.age_band,
    sum(coalesce(c.n, 0)) over (
        partition by strata.okrug, strata.age_band order by calendar.date
    ) as population
from calendar
cross join (select distinct okrug, age_band from changes) as strata
left join (select okrug, age_band, day, sum(n) as n from changes group by all) as c
    on c.day = calendar.date and c.okrug = strata.okrug and c.age_band = strata.age_band;

create or replace table fct_cases_daily as
with strata as (
    select okrug, age_band
    from unnest([{_sql_list(OKRUGS)}]) as o (okrug)
    cross join unnest([{_sql_list(label for label, _ in AGE_BANDS)}]) as a (age_band)
    union all select 'unknown', 'unknown'
),
counted as (
    select calendar.date, strata.okrug, strata.age_band,
        coalesce(e.new_cases, 0) as new_cases,
        coalesce(p.population, 0) as population
    from calendar cross join strata
    left join episodes as e using (date, okrug, age_band)
    left join population as p using (date, okrug, age_band)
),
rolled as (
    select *,
        sum(new_cases) over (partition by okrug, age_band order by date
            rows between 6 preceding and current row) as rolling,
        sum(new_cases) over (partition by okrug, age_band order by date) as cumulative
    from counted
)
select date, okrug, age_band, new_cases,
    rolling::bigint as cases_rolling_7d,
    case when population > 0
        then round(100000.0 * rolling / population, 2)::double end as rate_rolling_7d_per_100k,
    cumulative::bigint as cumulative_cases,
    population::bigint as population
from rolled
order by date, okrug, age_band;

create or replace table fct_tests_daily as
with located as (
    select results.*, coalesce(v.okrug, 'unknown') as okrug
    from results
    left join versions as v
        on v.patient_id = results.patient_id
        and results.specimen_date >= v.from_date and results.specimen_date < v.until_date
),
windows as (
    select patient_id, okrug, bool_or(is_positive) as is_positive,
        specimen_date + unnest(range(7))::integer as date
    from located where test_type = 'pcr'
    group by patient_id, okrug, specimen_date
),
positivity as (
    select date, okrug,
        count(distinct patient_id) as tested,
        count(distinct patient_id) filter (where is_positive) as positive
    from windows group by all
),
daily as (
    select specimen_date as date, okrug, test_type,
        count(*) as tests, count(*) filter (where is_positive) as positives
    from located group by all
)
select calendar.date, o.okrug, t.test_type,
    coalesce(daily.tests, 0) as tests,
    coalesce(daily.positives, 0) as positives,
    case when t.test_type = 'pcr' and positivity.tested > 0
        then round(100.0 * positivity.positive / positivity.tested, 2)::double
    end as positivity_rolling_7d
from calendar
cross join unnest([{_sql_list(OKRUGS)}, 'unknown']) as o (okrug)
cross join unnest(['pcr', 'antigen', 'antibody']) as t (test_type)
left join daily on daily.date = calendar.date and daily.okrug = o.okrug
    and daily.test_type = t.test_type
left join positivity on positivity.date = calendar.date and positivity.okrug = o.okrug
order by calendar.date, o.okrug, t.test_type;
"""


def as_of_date(landing: Path) -> str:
    """The newest delivery folder of the lab, records or register feed (the marts' as-of)."""
    dated = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    folders = [
        p.name
        for feed in ("lab", "records", "register")
        for p in (landing / feed).glob("*")
        if dated.match(p.name)
    ]
    return max(folders)


def compute(landing: Path, connection: duckdb.DuckDBPyConnection | None = None) -> dict:
    """Load the landing files into ``connection`` and build the two marts there.

    Returns what was skipped and how many rows each step produced.
    """
    connection = connection or duckdb.connect()
    now = datetime.now(UTC)
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in LAB_COLUMNS.items())
    lab_reader = (
        "select * from read_json(?, format = 'newline_delimited', ignore_errors = true, "
        f"filename = true, columns = {{{columns}}})"
    )
    skipped = _load_whole_files(connection, "raw_lab", lab_reader, first_deliveries(landing, "lab"))
    register_reader = (
        "select * from read_csv(?, header = true, all_varchar = true, filename = true, "
        "ignore_errors = true)"
    )
    skipped += _load_whole_files(
        connection, "raw_register", register_reader, first_deliveries(landing, "register")
    )
    connection.execute(f"create or replace table results as {LAB_SQL}", {"now": now})
    connection.execute(f"create or replace table versions as {REGISTER_SQL}", {"now": now})
    connection.execute(
        "create or replace table positives as select patient_id, specimen_date from results "
        "where is_positive and test_type in ('pcr', 'antigen')"
    )
    as_of = as_of_date(landing)
    for statement in MARTS_SQL.split(";\n"):
        if statement.strip():
            connection.execute(statement, {"as_of": as_of} if "$as_of" in statement else None)
    counts = {
        table: connection.execute(f"select count(*) from {table}").fetchone()[0]
        for table in ("raw_lab", "raw_register", "results", "fct_cases_daily", "fct_tests_daily")
    }
    return {"skipped_files": skipped, "rows": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="write the two marts here as Parquet")
    args = parser.parse_args()
    began = time.perf_counter()
    with duckdb.connect() as connection:
        summary = compute(args.landing, connection)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for table in ("fct_cases_daily", "fct_tests_daily"):
                connection.execute(f"copy {table} to '{args.out / table}.parquet'")
    summary["seconds"] = round(time.perf_counter() - began, 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
