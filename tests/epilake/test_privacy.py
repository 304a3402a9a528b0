import hashlib
import hmac

import pytest
from pyspark.sql import functions as F

from epilake.privacy import pseudonymise, pseudonymise_col, pseudonymiser, suppress_count


def test_python_hmac_is_rfc2104_hmac_sha256():
    expected = hmac.new(b"k", b"patient:7700000001", hashlib.sha256).hexdigest()
    assert pseudonymise("7700000001", "k") == expected


@pytest.mark.parametrize("secret", ["short", "x" * 64, "a-much-longer-secret-" * 5])
def test_spark_hmac_matches_python_bit_for_bit(spark, secret):
    values = ["7700000001", "1", "", "12345678901234567890"]
    frame = spark.createDataFrame([(v,) for v in values] + [(None,)], "patient_id string")
    rows = frame.select("patient_id", pseudonymise_col("patient_id", secret).alias("key")).collect()
    got = {r["patient_id"]: r["key"] for r in rows}
    for value in values:
        assert got[value] == pseudonymise(value, secret)
    assert got[None] is None


@pytest.mark.parametrize("secret", ["short", "x" * 64, "a-much-longer-secret-" * 5])
def test_the_prepared_pseudonymiser_gives_the_same_keys(secret):
    partner_key = pseudonymiser(secret, "partner-key")
    for value in ["7700000001", "1", "", "ключ"]:
        assert partner_key(value) == pseudonymise(value, secret, "partner-key")
        assert partner_key(value) == partner_key(value)  # its keyed state is not consumed


def test_keys_depend_on_secret_and_domain():
    assert pseudonymise("1", "a") != pseudonymise("1", "b")
    assert pseudonymise("1", "a", "patient") != pseudonymise("1", "a", "accession")


def test_empty_secret_is_refused():
    with pytest.raises(ValueError, match="EPILAKE_PSEUDONYM_SECRET"):
        pseudonymise("1", "")


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, 0), (1, None), (7, None), (8, 10), (12, 10), (13, 15), (1234, 1235), (None, None)],
)
def test_small_numbers_are_redacted_and_others_rounded_to_five(count, shown):
    assert suppress_count(count) == shown


def test_spark_hmac_has_no_python_udf(spark):
    frame = spark.range(1).select(F.lit("1").alias("v"))
    plan = frame.select(pseudonymise_col("v", "k"))._jdf.queryExecution().executedPlan().toString()
    assert "BatchEvalPython" not in plan and "ArrowEvalPython" not in plan
