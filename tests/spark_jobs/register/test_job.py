"""Register silver: how a daily run's few patients join the whole stored history."""

from datetime import date

import pytest

from spark_jobs.register import job, transforms
from tests.conftest import TEST_SECRET
from tests.spark_jobs.register.test_transforms import MOVE, _bronze, row


def _plan(frame) -> str:
    return frame._jdf.queryExecution().executedPlan().toString()


@pytest.fixture
def without_automatic_broadcast(spark):
    """Joins as the planner makes them with a side it cannot size (a checkpointed frame)."""
    before = spark.conf.get("spark.sql.autoBroadcastJoinThreshold")
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
    yield
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", before)


@pytest.mark.parametrize("few", [True, False])
def test_a_few_patients_join_the_stored_versions_as_a_broadcast(
    spark, without_automatic_broadcast, few
):
    stored = transforms.to_patient_history(
        _bronze(
            spark, [(date(2020, 4, 1), [row(), row(event_id="evt-9", patient_id="7700000009")])]
        ),
        TEST_SECRET,
    )
    history = transforms.to_patient_history(
        _bronze(spark, [(date(2020, 4, 1), [row()]), (date(2020, 4, 10), [MOVE])]), TEST_SECRET
    )
    keys = history.select("patient_key").distinct()
    existing = job.stored_versions_of(stored, keys, broadcast=few)
    changed = job.changed_rows(history, existing, broadcast=few)

    # Same rows either way: the stored version of the patient, and the new one.
    assert [r["event_id"] for r in existing.collect()] == ["evt-1"]
    assert {r["event_id"]: r["is_current"] for r in changed.collect()} == {
        "evt-1": False,  # closed by the move
        "evt-2": True,
    }
    plans = _plan(existing) + _plan(changed)
    assert ("SortMergeJoin" in plans) is not few
    assert ("BroadcastHashJoin" in plans) is few
