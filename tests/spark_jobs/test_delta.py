"""The Delta helpers' promises that the daily run's speed rests on."""

from datetime import date

import pytest
from pyspark.sql import types as T

from spark_jobs.common.delta import (
    APPEND_ONLY,
    ensure_table,
    insert_new_rows,
    is_append_only,
    make_append_only,
    may_hold_sources,
    merge_into,
    merge_source_rows,
    read_appended,
    table_ref,
)

SCHEMA = T.StructType(
    [T.StructField("_source_file", T.StringType()), T.StructField("_line", T.LongType())]
)
# Two resource files of one delivery: equal in their first 40 characters.
ENCOUNTERS = "records/2021-03-01/rec-20210301-01.Encounter.ndjson"
OBSERVATIONS = "records/2021-03-01/rec-20210301-01.Observation.ndjson.gz"


def test_source_file_statistics_tell_apart_two_files_of_one_delivery(spark, tmp_path):
    path = str(tmp_path / "quarantine")
    ensure_table(spark, path, SCHEMA)
    rows = spark.createDataFrame([(ENCOUNTERS, 1), (ENCOUNTERS, 7)], SCHEMA)
    insert_new_rows(spark, path, rows, keys=("_source_file", "_line"), schema=SCHEMA)

    assert may_hold_sources(path, [ENCOUNTERS])
    assert not may_hold_sources(path, [OBSERVATIONS])
    assert not may_hold_sources(path, ["records/2021-03-02/rec-20210302-01.Encounter.ndjson"])


def test_an_append_of_a_loaded_file_adds_nothing_twice(spark, tmp_path):
    path = str(tmp_path / "bronze")
    rows = spark.createDataFrame([(OBSERVATIONS, 1), (OBSERVATIONS, 2)], SCHEMA)
    for _ in range(2):
        insert_new_rows(
            spark, path, rows, keys=("_source_file", "_line"), schema=SCHEMA, sources=[OBSERVATIONS]
        )
    assert spark.read.format("delta").load(path).count() == 2


def test_row_counts_from_the_shared_duckdb_see_every_new_commit(spark, tmp_path):
    """One DuckDB serves a whole run's reads: it must not answer from an older snapshot."""
    from spark_jobs.common.ops_tables import row_count

    path = str(tmp_path / "grows")
    rows = spark.createDataFrame([(OBSERVATIONS, 1), (OBSERVATIONS, 2)], SCHEMA)
    counts = []
    for _ in range(3):
        rows.write.format("delta").mode("append").save(path)
        counts.append(row_count(path))
    spark.sql(f"DELETE FROM delta.`{path}` WHERE _line = 1")
    counts.append(row_count(path))
    assert counts == [2, 4, 6, 3]


DATED = T.StructType(
    [
        T.StructField("_delivery_date", T.DateType()),
        T.StructField("_source_file", T.StringType()),
        T.StructField("_line", T.LongType()),
    ]
)
MARCH_1, MARCH_2 = date(2021, 3, 1), date(2021, 3, 2)


def _dated_table(spark, path: str, properties: dict | None = None) -> None:
    ensure_table(spark, path, DATED, ("_delivery_date",), properties)
    rows = [(MARCH_1, ENCOUNTERS, 1), (MARCH_1, ENCOUNTERS, 2), (MARCH_2, OBSERVATIONS, 1)]
    for row in rows:  # a file per append, as daily loads leave them
        spark.createDataFrame([row], DATED).write.format("delta").mode("append").save(path)


def _rows(frame) -> list[tuple]:
    return sorted(tuple(row) for row in frame.collect())


def test_an_append_only_tables_days_are_read_from_the_files_its_log_lists(spark, tmp_path):
    """Bronze's rows of some delivery days, read from the data files the Delta log lists,
    are the rows Delta's own reader gives; a day without files reads as empty."""
    path = str(tmp_path / "bronze")
    _dated_table(spark, path, APPEND_ONLY)
    through_delta = spark.read.format("delta").load(path)

    one_day = read_appended(spark, path, DATED, "_delivery_date", {MARCH_1})
    every_day = read_appended(spark, path, DATED, "_delivery_date")
    no_day = read_appended(spark, path, DATED, "_delivery_date", {date(2021, 3, 3)})

    assert is_append_only(path)
    assert one_day.schema == through_delta.schema
    assert _rows(one_day) == _rows(through_delta.where("_delivery_date = '2021-03-01'"))
    assert len(_rows(one_day)) == 2
    assert _rows(every_day) == _rows(through_delta)
    assert no_day.collect() == [] and no_day.schema.fieldNames() == DATED.fieldNames()


def test_an_append_only_table_refuses_to_lose_rows(spark, tmp_path):
    """What reading bronze by its file list rests on: Delta refuses deletes and updates on an
    append-only table, so no file of it can carry a deletion vector."""
    path = str(tmp_path / "bronze")
    _dated_table(spark, path, APPEND_ONLY)

    with pytest.raises(Exception, match="DELTA_CANNOT_MODIFY_APPEND_ONLY"):
        spark.sql(f"DELETE FROM {table_ref(path)} WHERE _line = 1").collect()
    assert spark.read.format("delta").load(path).count() == 3


def test_compaction_keeps_an_append_only_table_and_its_file_list_whole(spark, tmp_path):
    """The weekly maintenance compacts bronze (OPTIMIZE removes files without changing data,
    which append-only allows); the log's file list then names the compacted file."""
    path = str(tmp_path / "bronze")
    _dated_table(spark, path, APPEND_ONLY)

    metrics = spark.sql(f"OPTIMIZE {table_ref(path)}").collect()[0]["metrics"]
    one_day = read_appended(spark, path, DATED, "_delivery_date", {MARCH_1})

    assert metrics["numFilesRemoved"] == 2 and metrics["numFilesAdded"] == 1
    assert _rows(one_day) == [(MARCH_1, ENCOUNTERS, 1), (MARCH_1, ENCOUNTERS, 2)]


def test_a_table_that_may_hold_deletions_is_read_through_delta(spark, tmp_path):
    """A table not declared append-only (bronze of an older version) reads through Delta,
    deletion vectors applied, until its next load declares it."""
    path = str(tmp_path / "older_bronze")
    _dated_table(spark, path)
    spark.sql(f"DELETE FROM {table_ref(path)} WHERE _line = 2").collect()

    rows = read_appended(spark, path, DATED, "_delivery_date", {MARCH_1})
    make_append_only(spark, path)

    assert _rows(rows) == [(MARCH_1, ENCOUNTERS, 1)]
    assert is_append_only(path)


def test_a_merges_source_rows_are_counted_from_its_commit(spark, tmp_path):
    """The MERGE's commit counts its source rows, so a promotion needs no count of its own:
    matched rows that change nothing count too."""
    path = str(tmp_path / "silver")
    _dated_table(spark, path)
    version = 3  # created, then three appends
    assert merge_source_rows(path, version) is None  # no MERGE since

    source = spark.createDataFrame(
        [(MARCH_1, ENCOUNTERS, 1), (MARCH_2, OBSERVATIONS, 9), (MARCH_2, OBSERVATIONS, 10)],
        DATED,
    )
    merge_into(spark, path, source, "t._source_file = s._source_file AND t._line = s._line")

    assert merge_source_rows(path, version) == 3
    assert merge_source_rows(path, version + 1) is None
