"""``rematched_rows``: which stored rows the register's new patients match, flags flipped."""

from spark_jobs.common.silver import rematched_rows

FLAGS = (("index_key", "index_in_register"), ("contact_key", "contact_in_register"))
SCHEMA = "id string, index_key string, index_in_register boolean, contact_key string, contact_in_register boolean"


def test_only_rows_whose_waiting_patient_arrived_come_back_with_the_flag_set(spark):
    stored = spark.createDataFrame(
        [
            ("both-waiting", "a", False, "b", False),
            ("index-arrives", "a", False, "z", False),
            ("contact-arrives", "y", True, "b", False),
            ("already-matched", "a", True, "b", True),
            ("nobody-arrives", "x", False, "w", False),
            ("no-contact-key", "a", False, None, None),
        ],
        SCHEMA,
    )
    arrivals = spark.createDataFrame([("a",), ("b",), ("a",)], "patient_key string")

    rows = {r["id"]: r for r in rematched_rows(stored, arrivals, FLAGS).collect()}

    assert set(rows) == {"both-waiting", "index-arrives", "contact-arrives", "no-contact-key"}
    assert (
        rows["both-waiting"]["index_in_register"],
        rows["both-waiting"]["contact_in_register"],
    ) == (True, True)
    assert (
        rows["index-arrives"]["index_in_register"],
        rows["index-arrives"]["contact_in_register"],
    ) == (True, False)
    assert (
        rows["contact-arrives"]["index_in_register"],
        rows["contact-arrives"]["contact_in_register"],
    ) == (True, True)
    assert rows["no-contact-key"]["contact_in_register"] is None
    assert rematched_rows(stored, arrivals, FLAGS).columns == stored.columns
