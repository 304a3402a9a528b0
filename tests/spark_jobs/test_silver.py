"""The register re-match's read of newly delivered patients."""

from datetime import UTC, datetime

from spark_jobs.common.silver import arrived_since

SCHEMA = "patient_key string, _promoted_at timestamp"


def _at(day: int) -> datetime:
    return datetime(2021, 3, day, tzinfo=UTC)


def test_arrivals_are_read_once_per_register_version_and_never_miss_a_key(spark, tmp_path):
    path = str(tmp_path / "patients")
    rows = [("p1", _at(1)), ("p2", _at(2)), ("p3", _at(3))]
    spark.createDataFrame(rows, SCHEMA).write.format("delta").save(path)

    assert sorted(arrived_since(spark, path, _at(2))) == ["p2", "p3"]
    assert sorted(arrived_since(spark, path, _at(1))) == ["p1", "p2", "p3"]  # earlier: read
    # A later watermark on the same version reuses the wider answer: extra keys only.
    assert sorted(arrived_since(spark, path, _at(3))) == ["p1", "p2", "p3"]

    spark.createDataFrame([("p4", _at(4))], SCHEMA).write.format("delta").mode("append").save(path)
    assert sorted(arrived_since(spark, path, _at(4))) == ["p4"]  # a new version: read again
