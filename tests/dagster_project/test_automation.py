"""The sensor, the schedule, the run window and lake maintenance, on real small lakes."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from dagster_project.defs.automation import landing_sensor, morning_run
from dagster_project.defs.partitions import (
    DELIVERY_DATES,
    RANGE_END_TAG,
    RANGE_START_TAG,
    add_delivery_dates,
)
from epilake.pipeline import NothingToRun, run_window
from spark_jobs.lab import job as lab_job
from spark_jobs.maintenance import DEFAULT_RETENTION_HOURS, maintain_lake, maintain_table
from tests.fhir import observation


def _deliver(settings, day: str, name: str = "lab-b1.ndjson") -> None:
    folder = settings.landing / "lab" / day
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(observation(id=f"obs-{day}")) + "\n")


def test_the_sensor_asks_for_one_run_over_the_new_deliveries_then_goes_quiet(
    settings, spark, tmp_path
):
    _deliver(settings, "2020-04-02")
    _deliver(settings, "2020-04-05", "lab-b2.ndjson")
    # Not entered (`with`): an entered instance stays the process's "current" one after it.
    instance = dg.DagsterInstance.local_temp(str(tmp_path))
    request = landing_sensor(dg.build_sensor_context(instance=instance))
    stored = instance.get_dynamic_partitions(DELIVERY_DATES.name)
    assert stored == ["2020-04-02", "2020-04-05"]
    assert isinstance(request, dg.RunRequest)
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == (
        "2020-04-02",
        "2020-04-05",
    )
    lab_job.ingest_bronze(spark, settings)
    assert isinstance(landing_sensor(dg.build_sensor_context()), dg.SkipReason)


def test_the_morning_schedule_loads_yesterdays_deliveries(settings, tmp_path):
    moment = datetime(2020, 4, 2, 6, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    instance = dg.DagsterInstance.local_temp(str(tmp_path))
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=moment)
    assert isinstance(morning_run(context), dg.SkipReason)  # nothing delivered yesterday
    _deliver(settings, "2020-04-01")
    request = morning_run(context)
    assert request.partition_key == "2020-04-01"
    assert instance.get_dynamic_partitions(DELIVERY_DATES.name) == ["2020-04-01"]


def test_delivery_dates_stay_partitions_in_date_order():
    instance = dg.DagsterInstance.ephemeral()
    add_delivery_dates(instance, [date(2020, 4, 2), date(2020, 4, 5)])
    add_delivery_dates(instance, [date(2020, 4, 5), date(2020, 4, 9)])
    assert instance.get_dynamic_partitions(DELIVERY_DATES.name) == [
        "2020-04-02",
        "2020-04-05",
        "2020-04-09",
    ]
    # A late delivery of history: stored again in the calendar's order.
    add_delivery_dates(instance, [date(2010, 5, 1)])
    assert instance.get_dynamic_partitions(DELIVERY_DATES.name) == [
        "2010-05-01",
        "2020-04-02",
        "2020-04-05",
        "2020-04-09",
    ]


def test_the_run_window_spans_the_deliveries_with_work_left(settings, spark):
    with pytest.raises(NothingToRun, match="epilake generate"):
        run_window(settings)
    _deliver(settings, "2020-03-10")
    _deliver(settings, "2020-05-01", "lab-b2.ndjson")
    assert run_window(settings)[:2] == (date(2020, 3, 10), date(2020, 5, 1))
    lab_job.ingest_bronze(spark, settings)
    # Loaded but not promoted (a run stopped between the layers): still work left.
    assert run_window(settings)[:2] == (date(2020, 3, 10), date(2020, 5, 1))
    lab_job.promote_to_silver(spark, settings)
    # Nothing left: the newest day alone, so a re-run rebuilds marts and dashboard only.
    assert run_window(settings)[:2] == (date(2020, 5, 1), date(2020, 5, 1))
    _deliver(settings, "2020-04-20", "lab-b4.ndjson")
    assert run_window(settings)[:2] == (date(2020, 4, 20), date(2020, 5, 1))
    # A delivery years back (a patient's history) needs no setting: it is work left.
    _deliver(settings, "2010-06-01", "lab-b3.ndjson")
    assert run_window(settings)[:2] == (date(2010, 6, 1), date(2020, 5, 1))


def test_maintenance_compacts_small_files_leaves_large_ones_and_keeps_the_data(settings, spark):
    """Silver's first-load files (cut by delivery date) stay when a small-file threshold
    spares them; the weekly maintenance compacts what is under its threshold, rows intact."""
    first = settings.landing / "lab" / "2020-04-01"
    first.mkdir(parents=True)
    lines = [json.dumps(observation(id=f"obs-first-{n}")) for n in range(300)]
    (first / "lab-first.ndjson").write_text("\n".join(lines) + "\n")
    for day in ("2020-04-01", "2020-04-02", "2020-04-03"):
        if day != "2020-04-01":
            _deliver(settings, day, f"lab-{day}.ndjson")
        lab_job.ingest_bronze(spark, settings)
        lab_job.promote_to_silver(spark, settings)
    silver = settings.table_path("silver", "lab_results")
    rows = sorted(r["result_id"] for r in spark.read.format("delta").load(silver).collect())
    sizes = _file_sizes(silver)
    threshold = max(sizes.values())
    small = [path for path, size in sizes.items() if size < threshold]
    assert len(small) >= 2  # the daily MERGEs' files, each far smaller than the first load's

    result = maintain_table(spark, silver, DEFAULT_RETENTION_HOURS, small_file_bytes=threshold)

    after = _file_sizes(silver)
    assert {path for path, size in sizes.items() if size >= threshold} <= set(after)
    assert result.files_compacted == len(small)
    assert not set(small) & set(after)

    # The lake's maintenance (every file here is under its 8 MiB): one file, the same rows.
    results = {r.table: r for r in maintain_lake(spark, settings)}
    assert results[silver].files_before >= 2
    assert results[silver].files_after == 1
    assert sorted(r["result_id"] for r in spark.read.format("delta").load(silver).collect()) == rows
    with pytest.raises(ValueError, match="at least 24 h"):
        maintain_lake(spark, settings, retention_hours=1)


def _file_sizes(path: str) -> dict[str, int]:
    actions = pa.table(DeltaTable(path).get_add_actions(flatten=True))
    return dict(
        zip(
            actions.column("path").to_pylist(),
            actions.column("size_bytes").to_pylist(),
            strict=True,
        )
    )
