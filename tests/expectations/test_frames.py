"""What a bronze gate reads: exactly the rows this run loaded, late deliveries included."""

from datetime import UTC, date, datetime

import pyarrow as pa
from deltalake import write_deltalake

from expectations import frames

EARLIER_RUN = datetime(2021, 3, 1, 6, 0, tzinfo=UTC)
THIS_RUN = datetime(2021, 3, 2, 6, 0, tzinfo=UTC)


def _write(settings, parts: tuple[str, ...], columns: dict, partition_by=None) -> None:
    write_deltalake(settings.table_path(*parts), pa.table(columns), partition_by=partition_by)


def test_a_bronze_gate_reads_the_runs_rows_from_every_delivery_day_it_loaded(settings):
    # (delivery day, file, run): yesterday's file from the earlier run; today's file and a
    # late file for last May from this run; another entity's file from this run.
    loads = [
        (date(2021, 3, 1), "lab/2021-03-01/lab-20210301-01.ndjson", EARLIER_RUN),
        (date(2021, 3, 2), "lab/2021-03-02/lab-20210302-01.ndjson", THIS_RUN),
        (date(2020, 5, 23), "lab/2021-03-02/lab-20200523-01.ndjson", THIS_RUN),
    ]
    _write(
        settings,
        ("bronze", "lab", "observations"),
        {
            "_delivery_date": [day for day, _, _ in loads for _ in range(2)],
            "_source_file": [source for _, source, _ in loads for _ in range(2)],
            "_line": [1, 2] * len(loads),
            "_ingested_at": [run for _, _, run in loads for _ in range(2)],
        },
        partition_by=["_delivery_date"],
    )
    audit = [*((day, "observations", run) for day, _, run in loads)]
    audit.append((date(2021, 2, 1), "other_entity", THIS_RUN))
    _write(
        settings,
        ("ops", "batch_audit"),
        {
            "feed": ["lab"] * len(audit),
            "entity": [entity for _, entity, _ in audit],
            "delivery_date": [day for day, _, _ in audit],
            "ingested_at": [run for _, _, run in audit],
        },
    )

    rows = frames.loaded_rows(
        settings, "bronze", "lab", "observations", since=THIS_RUN, run_date=date(2021, 3, 2)
    )

    assert sorted(zip(rows["_source_file"], rows["_line"], strict=True)) == [
        ("lab/2021-03-02/lab-20200523-01.ndjson", 1),
        ("lab/2021-03-02/lab-20200523-01.ndjson", 2),
        ("lab/2021-03-02/lab-20210302-01.ndjson", 1),
        ("lab/2021-03-02/lab-20210302-01.ndjson", 2),
    ]
    assert set(rows["_feed_lag_days"]) == {0}  # the newest delivery is the run's day


def test_a_bronze_gate_of_a_run_that_loaded_nothing_reads_no_rows(settings):
    _write(
        settings,
        ("bronze", "lab", "observations"),
        {
            "_delivery_date": [date(2021, 3, 1)],
            "_source_file": ["lab/2021-03-01/lab-20210301-01.ndjson"],
            "_line": [1],
            "_ingested_at": [EARLIER_RUN],
        },
        partition_by=["_delivery_date"],
    )
    _write(
        settings,
        ("ops", "batch_audit"),
        {
            "feed": ["lab"],
            "entity": ["observations"],
            "delivery_date": [date(2021, 3, 1)],
            "ingested_at": [EARLIER_RUN],
        },
    )
    rows = frames.loaded_rows(
        settings, "bronze", "lab", "observations", since=THIS_RUN, run_date=date(2021, 3, 2)
    )
    assert rows.empty
