"""The Spark resource sets each step's partitions, and whole-stage code generation, for the
step's delivery window."""

import dataclasses
from datetime import date

from dagster_project.defs.resources import SparkResource
from spark_jobs.common.window import EVERYTHING, SMALL_DELIVERY_DAYS, DeliveryWindow

DAY = date(2021, 3, 1)


def _partitions(session) -> tuple[str, str]:
    return (
        session.conf.get("spark.sql.shuffle.partitions"),
        session.conf.get("spark.databricks.delta.snapshotPartitions"),
    )


def _compiles_stages(session) -> bool:
    """Whether the session's plan of a small query has whole-stage generated code."""
    query = session.range(10).selectExpr("id * 2 as doubled").where("doubled > 4")
    return "*(1)" in query._jdf.queryExecution().executedPlan().toString()  # a compiled stage


def test_a_window_is_small_up_to_a_weeks_deliveries_and_an_open_one_never():
    week_end = date.fromordinal(DAY.toordinal() + SMALL_DELIVERY_DAYS - 1)
    assert DeliveryWindow(DAY, DAY).is_small
    assert DeliveryWindow(DAY, week_end).is_small
    assert not DeliveryWindow(DAY, date.fromordinal(week_end.toordinal() + 1)).is_small
    assert not DeliveryWindow(DAY, None).is_small
    assert not EVERYTHING.is_small


def test_a_small_delivery_step_shuffles_in_two_partitions_a_long_one_in_the_configured(
    spark, settings
):
    configured = dataclasses.replace(settings, spark_shuffle_partitions=8)
    resource = SparkResource(app_name="epilake-tests")
    try:
        assert _partitions(resource.session(configured, DeliveryWindow(DAY, DAY))) == ("2", "2")
        year = DeliveryWindow(date(2020, 3, 1), DAY)
        assert _partitions(resource.session(configured, year)) == ("8", "4")
        # A step after a small one gets its own setting back (maintenance: no window).
        resource.session(configured, DeliveryWindow(DAY, DAY))
        assert _partitions(resource.session(configured)) == ("8", "4")
        # A setting below two is kept for a small delivery too.
        single = dataclasses.replace(settings, spark_shuffle_partitions=1)
        assert _partitions(resource.session(single, DeliveryWindow(DAY, DAY))) == ("1", "1")
    finally:
        resource.session(settings)  # the shared session back to the suite's 2 partitions
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"


def test_a_small_delivery_step_runs_without_generated_code_a_long_one_with_it(spark, settings):
    resource = SparkResource(app_name="epilake-tests")
    try:
        assert not _compiles_stages(resource.session(settings, DeliveryWindow(DAY, DAY)))
        year = DeliveryWindow(date(2020, 3, 1), DAY)
        assert _compiles_stages(resource.session(settings, year))
        resource.session(settings, DeliveryWindow(DAY, DAY))
        assert _compiles_stages(resource.session(settings))  # no window: the default back
    finally:
        resource.session(settings)
    assert spark.conf.get("spark.sql.codegen.wholeStage") == "true"
