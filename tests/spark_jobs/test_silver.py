"""Silver tables written by an earlier version: retired columns go, rows stay."""

import pytest
from pyspark.sql import types as T

from spark_jobs.common.silver import SilverSchemaError, retire_columns

SCHEMA = T.StructType(
    [
        T.StructField("result_id", T.StringType()),
        T.StructField("patient_key", T.StringType()),
        T.StructField("_delivery_date", T.DateType()),
        T.StructField("_source_file", T.StringType()),
    ]
)


def _legacy_table(spark, path: str, extra: str) -> None:
    spark.sql(
        "select 'r1' as result_id, 'p1' as patient_key, false as "
        f"{extra}, date'2021-03-01' as _delivery_date, 'lab/a' as _source_file"
    ).write.format("delta").save(path)


def test_a_retired_register_flag_is_dropped_and_the_rows_kept(spark, tmp_path):
    path = str(tmp_path / "lab_results")
    _legacy_table(spark, path, "patient_in_register")

    assert retire_columns(spark, path, SCHEMA) == ["patient_in_register"]

    table = spark.read.format("delta").load(path)
    assert sorted(table.columns) == sorted(SCHEMA.fieldNames())
    assert [(r["result_id"], r["patient_key"]) for r in table.collect()] == [("r1", "p1")]
    assert retire_columns(spark, path, SCHEMA) == []  # once


def test_an_unknown_extra_column_stops_the_run_and_changes_nothing(spark, tmp_path):
    path = str(tmp_path / "lab_results")
    _legacy_table(spark, path, "nickname")

    with pytest.raises(SilverSchemaError, match=r"\['nickname'\].*Rebuild silver"):
        retire_columns(spark, path, SCHEMA)
    assert "nickname" in spark.read.format("delta").load(path).columns
