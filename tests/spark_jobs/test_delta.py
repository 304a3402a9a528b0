"""The Delta helpers' promises that the daily run's speed rests on."""

from pyspark.sql import types as T

from spark_jobs.common.delta import ensure_table, insert_new_rows, may_hold_sources

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
