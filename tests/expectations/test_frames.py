"""What a gate reads: exactly the rows this run loaded (late deliveries included), measured
against the whole table where a suite needs it."""

import shutil
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


def _promoted(settings, files: dict[str, datetime]) -> None:
    _write(
        settings,
        ("ops", "silver_promotions"),
        {"source_file": list(files), "promoted_at": list(files.values())},
    )


def _register(settings) -> None:
    """p1 born 1980 (two versions, one current); p2 born 1950, deceased on 2021-02-25."""
    _write(
        settings,
        ("silver", "patients"),
        {
            "patient_key": ["p1", "p1", "p2"],
            "birth_year": [1980, 1980, 1950],
            "covid_status": ["infected", "recovered", "deceased"],
            "status_since": [date(2021, 1, 5), date(2021, 1, 20), date(2021, 2, 25)],
            "valid_from_date": [date(2021, 1, 5), date(2021, 1, 20), date(2021, 2, 25)],
            "is_current": [False, True, True],
            "_delivery_date": [date(2021, 1, 5), date(2021, 1, 20), date(2021, 2, 25)],
            "_source_file": ["register/a.ndjson", "register/b.ndjson", "register/c.ndjson"],
        },
    )


def test_a_silver_gate_reads_the_runs_rows_and_measures_the_whole_table(settings):
    _register(settings)
    earlier, today = "lab/2021-02-20/a.ndjson", "lab/2021-03-02/b.ndjson"
    _write(
        settings,
        ("silver", "lab_results"),
        {
            "result_id": ["r1", "r2", "r3", "r4", "r5"],
            "patient_key": ["p1", "px", "p1", "p2", "py"],  # px, py: not in the register
            "specimen_date": [date(2021, 2, 19), date(2021, 2, 19)] + [date(2021, 3, 1)] * 3,
            "_delivery_date": [date(2021, 2, 20)] * 2 + [date(2021, 3, 2)] * 3,
            "_source_file": [earlier] * 2 + [today] * 3,
        },
    )
    _promoted(settings, {earlier: EARLIER_RUN, today: THIS_RUN})

    rows = frames.loaded_rows(
        settings, "silver", "lab_results", since=THIS_RUN, run_date=date(2021, 3, 2)
    ).set_index("result_id")

    assert sorted(rows.index) == ["r3", "r4", "r5"]  # the file this run promoted
    assert set(rows["_unmatched_share"]) == {2 / 5}  # px and py of the whole table's five
    assert set(rows["_oldest_unmatched_days"]) == {10}  # px waits since 2021-02-20
    assert rows.loc["r3", "_age_at_specimen"] == 41
    assert rows.loc["r4", "_days_after_death"] == 4
    assert rows["_age_at_specimen"].isna()["r5"]
    assert set(rows["_share_before_birth"]) == {0.0}  # none before its patient's birth


def test_a_register_gate_counts_each_patients_current_versions_in_the_whole_table(settings):
    _register(settings)
    _promoted(settings, {"register/c.ndjson": THIS_RUN, "register/b.ndjson": EARLIER_RUN})

    rows = frames.loaded_rows(
        settings, "silver", "patients", since=THIS_RUN, run_date=date(2021, 3, 2)
    )

    assert list(rows["patient_key"]) == ["p2"]
    assert list(rows["_current_versions"]) == [1]
    assert list(rows["_age"]) == [71]


def _one_patient(key: str) -> pa.Table:
    """One current version of patient ``key``, in the columns ``_register`` writes."""
    day = date(2021, 3, 1)
    return pa.table(
        {
            "patient_key": [key],
            "birth_year": [1990],
            "covid_status": ["infected"],
            "status_since": [day],
            "valid_from_date": [day],
            "is_current": [True],
            "_delivery_date": [day],
            "_source_file": ["register/d.ndjson"],
        }
    )


def test_the_register_keys_a_gate_matches_against_follow_each_new_register_version(settings):
    today = "lab/2021-03-02/b.ndjson"
    _write(
        settings,
        ("silver", "lab_results"),
        {
            "result_id": ["r1", "r2"],
            "patient_key": ["p1", "p9"],
            "specimen_date": [date(2021, 3, 1)] * 2,
            "_delivery_date": [date(2021, 3, 2)] * 2,
            "_source_file": [today] * 2,
        },
    )
    _promoted(settings, {today: THIS_RUN})

    def unmatched_share() -> float:
        rows = frames.loaded_rows(
            settings, "silver", "lab_results", since=THIS_RUN, run_date=date(2021, 3, 2)
        )
        return rows["_unmatched_share"].iloc[0]

    _register(settings)
    assert unmatched_share() == 0.5  # p9 is not in the register
    patients = settings.table_path("silver", "patients")
    shutil.rmtree(patients)
    write_deltalake(patients, _one_patient("p5"))  # rebuilt at the same path, version 0 again
    assert unmatched_share() == 1
    write_deltalake(patients, _one_patient("p9"), mode="append")
    assert unmatched_share() == 0.5  # the register's next version knows p9, not p1
