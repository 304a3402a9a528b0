"""What each gate validates, read with DuckDB (no JVM): the rows the current run loaded into a
Delta table, a feed's audit rows of the run, or a whole mart, plus the derived columns the
suites need (register match, ages, vital-sign ranges ...)."""

from __future__ import annotations

import hashlib
import threading
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from deltalake import DeltaTable

from epilake.duckdb_delta import lake_cursor
from epilake.settings import Settings
from expectations.thresholds import MIN_RECORDS_FOR_A_SHARE

# Derived columns per silver table, as SQL over `rows` (the run's rows), `people` (each
# patient's birth year and death date), `unmatched` (the oldest wait for the register) and
# `$table` (the whole table).
REFERENTIAL = {"_unmatched_share": "unmatched.share", "_oldest_unmatched_days": "unmatched.days"}
SILVER_DERIVED: dict[str, dict[str, str]] = {
    "lab_results": {
        **REFERENTIAL,
        "_age_at_specimen": "year(rows.specimen_date) - people.birth_year",
        "_share_before_birth": "avg(case when year(rows.specimen_date) < people.birth_year "
        "then 1.0 else 0.0 end) over ()",
        "_days_after_death": "rows.specimen_date - people.death_date",
    },
    "encounters": {
        **REFERENTIAL,
        "_icu_outside_a_stay": "rows.is_icu and rows.class_code != 'IMP'",
        "_stay_days": "case when rows.class_code = 'IMP' then rows.end_date - rows.start_date end",
    },
    "conditions": REFERENTIAL,
    "vital_signs": {
        **REFERENTIAL,
        "_unit_matches_sign": "coalesce(rows.unit = case rows.vital_sign when 'spo2' then '%' "
        "when 'body_temperature' then 'Cel' else '/min' end, false)",
        "_spo2": "case when rows.vital_sign = 'spo2' then rows.value end",
        "_body_temperature": "case when rows.vital_sign = 'body_temperature' then rows.value end",
        "_respiratory_rate": "case when rows.vital_sign = 'respiratory_rate' then rows.value end",
    },
    "ct_reports": REFERENTIAL,
    "immunizations": REFERENTIAL,
    "patients": {
        "_age": "year($run_date) - rows.birth_year",
        "_current_versions": "(select count(*) from $table as e "
        "where e.patient_key = rows.patient_key and e.is_current)",
    },
    "contacts": {"_identified_date": "cast(rows.identified_at as date)", **REFERENTIAL},
}
# The patient key whose register match the unmatched-share gates watch (computed here from
# the register's keys: silver does not store the match, decision 0011).
MATCH_KEY = {"contacts": "index_patient_key"}


def _frame(connection, sql: str, parameters: dict) -> pd.DataFrame:
    """Run ``sql`` into pandas with dates as ``datetime.date`` (GX compares them with dates)."""
    table = connection.execute(sql, parameters).fetch_arrow_table()
    return table.to_pandas(date_as_object=True)


BRONZE_DERIVED = {"_feed_lag_days": "$run_date - newest.day"}


def loaded_rows(settings: Settings, layer: str, *parts: str, since: datetime, run_date: date):
    """The rows this run wrote into a bronze or silver table, with derived columns.

    The whole table is read only for what needs it (its newest delivery date, the share still
    waiting for the register), each a scan of one or two columns: a shared `select *` of the
    table would be materialised by DuckDB, all columns of every row (2 s at M).
    """
    path = settings.table_path(layer, *parts)
    if not (Path(path) / "_delta_log").is_dir():
        return pd.DataFrame()  # the table does not exist yet: nothing was ever loaded
    patients = settings.table_path("silver", "patients")
    derived = SILVER_DERIVED.get(parts[-1], {}) if layer == "silver" else BRONZE_DERIVED
    promotions = Path(settings.table_path("ops", "silver_promotions"))
    if layer == "silver" and not (promotions / "_delta_log").is_dir():
        return pd.DataFrame()
    table = f"delta_scan('{path}')"
    # Bronze: the rows this run appended. Silver: the rows of every file this run promoted
    # (a file's rows reach silver in the run that promotes them, maybe after their bronze run).
    this_run = (
        f"_source_file in (select source_file from delta_scan('{promotions}') "
        "where promoted_at >= $since)"
        if layer == "silver"
        else "_delivery_date in ($this_run_days) and _ingested_at >= $since"
    )
    ctes = [
        f"rows as (select * from {table} where {this_run})",
        f"newest as (select max(_delivery_date) as day from {table})",
    ]
    joins = ["cross join newest"]
    if any("people." in expression for expression in derived.values()):
        ctes.append(_people(patients))
        joins.append("left join people on rows.patient_key = people.patient_key")
    extra = "".join(f", {expression} as {name}" for name, expression in derived.items())
    extra = extra.replace("$table", table)  # expressions over the whole table
    with lake_cursor() as connection:
        if "_oldest_unmatched_days" in derived:
            key = MATCH_KEY.get(parts[-1], "patient_key")
            ctes += _unmatched(table, _register_keys(connection, patients), key)
            joins.append("cross join unmatched")
        sql = f"with {', '.join(ctes)} select rows.*{extra} from rows {' '.join(joins)}"
        parameters = {"since": since} | ({"run_date": run_date} if "$run_date" in sql else {})
        if layer == "bronze":
            # Only the delivery dates this run loaded files of: the partitions the scan reads
            # (a day's rows in milliseconds, not a scan of a year's partitions).
            days = _days_loaded(connection, settings, parts, since)
            sql = sql.replace(
                "$this_run_days", ", ".join(f"date '{day}'" for day in days) or "null"
            )
        return _frame(connection, sql, parameters)


def _people(patients: str) -> str:
    """The run's patients' birth year and death date, from the register's versions."""
    return f"""people as (
        select
            patient_key,
            max(birth_year) as birth_year,
            min(case when covid_status = 'deceased'
                then coalesce(status_since, valid_from_date) end) as death_date
        from delta_scan('{patients}')
        where patient_key in (select patient_key from rows)
        group by patient_key
    )"""


def _unmatched(table: str, known: str | None, key: str) -> list[str]:
    """The rows of the whole table still waiting for their patient's register delivery: the
    oldest wait in days and their share. An anti join to the register's keys ``known`` (a
    table; None before the register's first delivery). A NOT IN cost 0.3-0.5 s more per
    gate at M."""
    if known:
        waiting = (
            f"select t._delivery_date from {table} as t "
            f"anti join {known} as known on t.{key} = known.patient_key "
            f"where t.{key} is not null"
        )
    else:
        waiting = f"select _delivery_date from {table}"  # no register delivery yet
    return [
        f"waiting as ({waiting})",
        f"""unmatched as (
            select
                coalesce((select max(newest.day - waiting._delivery_date)
                    from waiting, newest), 0) as days,
                coalesce((select count(*) from waiting)
                    / nullif((select count(*) from {table}), 0), 0) as share
        )""",
    ]


_REGISTER_KEYS_LOCK = threading.Lock()


def _register_keys(connection, patients: str) -> str | None:
    """A table of the register's distinct patient keys in this process's DuckDB, built once
    per version of ``silver/patients`` (a run's six silver gates each anti-join it: 0.3 s
    each at M when every gate took the distinct keys of 1.8 M versions itself). Named by the
    table's path, Delta id and version, so a rebuilt or another home's register never reuses
    it; only the newest is kept."""
    if not (Path(patients) / "_delta_log").is_dir():
        return None
    log = DeltaTable(patients)
    identity = f"{patients}|{log.metadata().id}|{log.version()}"
    name = "register_keys_" + hashlib.sha1(identity.encode(), usedforsecurity=False).hexdigest()
    with _REGISTER_KEYS_LOCK:
        built = {
            table
            for (table,) in connection.execute(
                "select table_name from duckdb_tables() where table_name like 'register_keys_%'"
            ).fetchall()
        }
        if name not in built:
            for other in built:
                connection.execute(f"drop table {other}")
            connection.execute(
                f"create table {name} as "
                f"select distinct patient_key from delta_scan('{patients}', version = {log.version()})"
            )
    return name


def _days_loaded(connection, settings: Settings, parts: tuple[str, ...], since: datetime) -> list:
    """The delivery dates of the files of bronze table ``parts`` that this run loaded."""
    audit = settings.table_path("ops", "batch_audit")
    if not (Path(audit) / "_delta_log").is_dir():
        return []
    feed, entity = parts
    rows = connection.execute(
        f"select distinct delivery_date from delta_scan('{audit}') "
        "where feed = $feed and entity = $entity and ingested_at >= $since "
        "and delivery_date is not null",
        {"feed": feed, "entity": entity, "since": since},
    ).fetchall()
    return sorted(day for (day,) in rows)


REPORTABLE = "status in ('final', 'amended', 'corrected') and not is_retracted"


def episodes_in_silver(settings: Settings) -> int:
    """Case episodes counted straight from silver lab results (not from the dbt models): a
    first positive PCR or antigen, again 91 or more days after an episode's start."""
    path = settings.table_path("silver", "lab_results")
    with lake_cursor() as connection:
        positives = connection.execute(
            f"select patient_key, specimen_date from delta_scan('{path}') "
            f"where {REPORTABLE} and is_positive and test_type in ('pcr', 'antigen') "
            "order by patient_key, specimen_date"
        ).fetchall()
    episodes, patient, start = 0, None, None
    for key, day in positives:
        if key != patient or (day - start).days >= 91:
            episodes, patient, start = episodes + 1, key, day
    return episodes


def results_in_silver(settings: Settings) -> int:
    path = settings.table_path("silver", "lab_results")
    with lake_cursor() as connection:
        return connection.execute(
            f"select count(*) from delta_scan('{path}') where {REPORTABLE}"
        ).fetchone()[0]


def audit_rows(settings: Settings, feed: str, since: datetime) -> pd.DataFrame:
    """The feed's ``ops/batch_audit`` rows of this run, with reconciliation and quarantine rate."""
    path = settings.table_path("ops", "batch_audit")
    if not (Path(path) / "_delta_log").is_dir():
        return pd.DataFrame()  # no feed has delivered a file yet: nothing was audited
    sql = f"""
        select
            *,
            records_read - records_accepted - records_quarantined as _unreconciled,
            case when records_read > 0
                then records_quarantined / records_read else 0 end as _quarantine_rate,
            -- the run's share over all the feed's batches, once they are enough to judge
            case when sum(records_read) over () >= $fewest
                then sum(records_quarantined) over () / sum(records_read) over ()
                else 0 end as _run_quarantine_share
        from delta_scan('{path}')
        where feed = $feed and ingested_at >= $since
    """
    with lake_cursor() as connection:
        parameters = {"feed": feed, "since": since, "fewest": MIN_RECORDS_FOR_A_SHARE}
        return _frame(connection, sql, parameters)


def mart_rows(settings: Settings, model: str, derived: dict[str, str] | None = None):
    """A whole mart as dbt built it (marts are small aggregates), with derived columns."""
    extra = "".join(f", {expression} as {name}" for name, expression in (derived or {}).items())
    with lake_cursor() as connection:
        # Attached only for this read: dbt must be able to write the file again after it.
        connection.execute(f"attach '{settings.build_warehouse}' as warehouse (read_only)")
        connection.execute("use warehouse")
        try:
            return _frame(connection, f"select *{extra} from marts.{model}", {})
        finally:
            connection.execute("use memory")
            connection.execute("detach database if exists warehouse")
