"""Silver tables written by an earlier version: retired columns go, rows stay."""

import pytest
from pyspark.sql import types as T

from spark_jobs.common.silver import SilverSchemaError, ensure_promotions_log, retire_columns

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


def test_a_feeds_tables_are_promoted_together_and_logged_in_one_commit(spark, settings):
    """All five records tables in one promotion step: one commit to the promotion log, and
    a second promotion of the same delivery finds nothing to do."""
    from deltalake import DeltaTable

    from epilake.generator import CityConfig, generate_city
    from spark_jobs.common import audit
    from spark_jobs.records import job as records

    generate_city(settings.landing, CityConfig(patients=2000, days=20, seed=5, dirt=0.0))
    records.ingest_bronze(spark, settings)
    log_path = settings.table_path(*audit.PROMOTIONS_TABLE)
    ensure_promotions_log(spark, settings)  # the log's own creation is not a promotion
    before = DeltaTable(log_path).version()

    summaries = records.promote_to_silver(spark, settings)

    assert [s.table for s in summaries] == list(records.SILVER_TABLES)
    assert sum(s.rows_in for s in summaries) > 0
    assert DeltaTable(log_path).version() == before + 1
    logged = DeltaTable(log_path).to_pyarrow_table().to_pylist()
    assert len(logged) == sum(s.files_promoted for s in summaries)
    assert len({row["entity"] for row in logged}) >= 3  # several tables, one commit
    assert {row["entity"] for row in logged} == {
        r.entity for r, s in zip(records.RESOURCES, summaries, strict=True) if s.files_promoted
    }

    again = records.promote_to_silver(spark, settings)
    assert [s.rows_in for s in again] == [0] * len(summaries)
    assert [s.rows_total for s in again] == [s.rows_total for s in summaries]
    assert DeltaTable(log_path).version() == before + 1


def test_the_promotion_log_exists_before_anything_is_promoted(spark, settings):
    """dbt's change log (int_patient_changes) reads the promotion log in every build: a
    silver step with nothing to promote still leaves it, empty."""
    from deltalake import DeltaTable

    from spark_jobs.common import audit
    from spark_jobs.tracing import job as tracing

    log_path = settings.table_path(*audit.PROMOTIONS_TABLE)
    assert not DeltaTable.is_deltatable(log_path)

    summary = tracing.promote_to_silver(spark, settings)

    assert summary.files_promoted == 0
    assert DeltaTable.is_deltatable(log_path)
    assert DeltaTable(log_path).to_pyarrow_table().num_rows == 0


def test_a_daily_merge_reports_the_rows_it_merged(spark, settings):
    """After the first load, a day's promotion is a MERGE whose row count comes from its
    commit: the same number as counting the day's silver rows."""
    from datetime import date, timedelta

    from epilake.generator import CityConfig, generate_city
    from spark_jobs.common.silver import bronze_of, pending_files
    from spark_jobs.common.window import DeliveryWindow
    from spark_jobs.tracing import job as tracing

    city = CityConfig(patients=2000, start=date(2020, 3, 1), days=20, seed=5, dirt=0.0)
    generate_city(settings.landing, city)
    last = city.start + timedelta(days=city.days - 1)
    before, day = DeliveryWindow(None, last - timedelta(days=1)), DeliveryWindow(last, last)
    tracing.ingest_bronze(spark, settings)
    tracing.promote_to_silver(spark, settings, before)
    spec = tracing.CONTACTS
    pending = pending_files(settings, spec.feed, spec.entity, day)
    bronze = bronze_of(spark, settings, spec.feed, spec.entity, pending)
    expected = spec.transform(bronze, settings.pseudonym_secret, settings.now).count()

    summary = tracing.promote_to_silver(spark, settings, day)

    assert expected > 0
    assert summary.files_promoted == len(pending) > 0
    assert summary.rows_in == expected
