"""The threaded executor: steps overlap, and Dagster's rules still hold (dependencies,
concurrency limits, priorities, failures and blocking checks stopping what is downstream)."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import dagster as dg
import pytest

from dagster_project.defs.pipeline.executor import (
    SPARK_TAG,
    WAREHOUSE_TAG,
    concurrency_limits,
    spark_steps_for,
    threaded_executor,
    threaded_run_config,
)
from spark_jobs.common.window import DeliveryWindow

BARRIER_SECONDS = 20


def test_a_daily_delivery_runs_two_spark_steps_at_once_a_long_window_one():
    day = date(2021, 3, 1)
    assert spark_steps_for(DeliveryWindow(day, day)) == 2
    assert spark_steps_for(DeliveryWindow(day, day + timedelta(days=6))) == 2
    assert spark_steps_for(DeliveryWindow(day, day + timedelta(days=7))) == 1  # a backfill
    assert spark_steps_for(DeliveryWindow()) == 1  # everything: a first load


class Tracker:
    """What ran, in which order, and how many ran at once (per tag)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: list[str] = []
        self.running: dict[str, int] = {}
        self.most: dict[str, int] = {}

    def enter(self, name: str, tag: str = "any") -> None:
        with self.lock:
            self.started.append(name)
            for key in {tag, "any"}:
                self.running[key] = self.running.get(key, 0) + 1
                self.most[key] = max(self.most.get(key, 0), self.running[key])

    def leave(self, tag: str = "any") -> None:
        with self.lock:
            for key in {tag, "any"}:
                self.running[key] -= 1


TRACK = Tracker()
MEET = {"barrier": threading.Barrier(2, timeout=BARRIER_SECONDS)}


def _meet(name: str) -> None:
    """Returns only when the other step of the pair is running at the same time."""
    TRACK.enter(name)
    try:
        MEET["barrier"].wait()
    finally:
        TRACK.leave()


@dg.asset
def left() -> None:
    _meet("left")


@dg.asset
def right() -> None:
    _meet("right")


@dg.asset(deps=[left, right])
def joined() -> None:
    TRACK.enter("joined")
    TRACK.leave()


def _busy(name: str, tag: str) -> None:
    TRACK.enter(name, tag)
    time.sleep(0.3)
    TRACK.leave(tag)


def _spark_step(name: str) -> dg.AssetsDefinition:
    @dg.asset(name=name, op_tags={SPARK_TAG: "yes"})
    def step() -> None:
        _busy(name, "spark")

    return step


spark_a, spark_b, spark_c = (_spark_step(name) for name in ("spark_a", "spark_b", "spark_c"))


@dg.asset(op_tags={WAREHOUSE_TAG: "yes"})
def warehouse_first() -> None:
    _busy("warehouse_first", "warehouse")


@dg.asset(op_tags={WAREHOUSE_TAG: "yes", "dagster/priority": "-1"})
def warehouse_later() -> None:
    _busy("warehouse_later", "warehouse")


@dg.asset
def broken() -> None:
    raise RuntimeError("this step fails on purpose")


@dg.asset(deps=[broken])
def after_broken() -> None:
    TRACK.enter("after_broken")
    TRACK.leave()


@dg.asset
def gated() -> None:
    TRACK.enter("gated")
    TRACK.leave()


@dg.asset_check(asset=gated, blocking=True)
def gate_fails() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)


@dg.asset(deps=[gated])
def behind_the_gate() -> None:
    TRACK.enter("behind_the_gate")
    TRACK.leave()


ASSETS = [
    left,
    right,
    joined,
    spark_a,
    spark_b,
    spark_c,
    warehouse_first,
    warehouse_later,
    broken,
    after_broken,
    gated,
    behind_the_gate,
]
DEFS = dg.Definitions(
    assets=ASSETS,
    asset_checks=[gate_fails],
    jobs=[
        dg.define_asset_job(
            "pair", selection=["left", "right", "joined"], executor_def=threaded_executor
        ),
        dg.define_asset_job(
            "limited",
            selection=["spark_a", "spark_b", "spark_c", "warehouse_first", "warehouse_later"],
            executor_def=threaded_executor,
        ),
        dg.define_asset_job(
            "failing",
            selection=["broken", "after_broken", "left", "right", "joined"],
            executor_def=threaded_executor,
        ),
        dg.define_asset_job(
            "blocked",
            selection=dg.AssetSelection.assets(gated, behind_the_gate),
            executor_def=threaded_executor,
        ),
    ],
)


def pair_job() -> dg.JobDefinition:
    return DEFS.resolve_job_def("pair")


def limited_job() -> dg.JobDefinition:
    return DEFS.resolve_job_def("limited")


def failing_job() -> dg.JobDefinition:
    return DEFS.resolve_job_def("failing")


def blocked_job() -> dg.JobDefinition:
    return DEFS.resolve_job_def("blocked")


@pytest.fixture(autouse=True)
def fresh_tracker():
    global TRACK
    TRACK = Tracker()
    MEET["barrier"] = threading.Barrier(2, timeout=BARRIER_SECONDS)
    yield


def _run(job_fn, run_config: dict | None = None) -> dg.ExecuteJobResult:
    with (
        dg.instance_for_test() as instance,
        dg.execute_job(
            dg.reconstructable(job_fn), instance, run_config=run_config, raise_on_error=False
        ) as result,
    ):
        return result


def _succeeded(result) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}


def test_independent_steps_run_at_the_same_time_and_dependents_wait():
    result = _run(pair_job)
    assert result.success
    assert TRACK.most["any"] == 2  # the barrier needs both at once
    assert TRACK.started[-1] == "joined"


def test_one_step_at_a_time_when_max_concurrent_is_one():
    # The pair can then never meet: the barrier times out and the first step fails.
    MEET["barrier"] = threading.Barrier(2, timeout=1)
    result = _run(pair_job, threaded_run_config(max_concurrent=1, spark_steps=1))
    assert not result.success
    assert TRACK.most["any"] == 1
    assert "joined" not in TRACK.started


def test_tag_limits_hold_and_priority_orders_the_waiting():
    result = _run(limited_job, threaded_run_config(max_concurrent=4, spark_steps=2))
    assert result.success
    assert TRACK.most["spark"] == 2
    assert TRACK.most["warehouse"] == 1
    order = TRACK.started
    assert order.index("warehouse_first") < order.index("warehouse_later")


def test_a_failed_step_skips_what_is_downstream_and_the_rest_completes():
    result = _run(failing_job)
    assert not result.success
    assert "after_broken" not in TRACK.started
    assert {"left", "right", "joined"} <= _succeeded(result)
    assert "after_broken" not in _succeeded(result)


def test_a_failing_blocking_check_stops_what_is_downstream():
    result = _run(blocked_job)
    assert "gated" in TRACK.started
    assert "behind_the_gate" not in TRACK.started
    assert not result.success


def test_default_limits_name_the_spark_and_warehouse_tags():
    keys = {limit["key"]: limit["limit"] for limit in concurrency_limits(3)}
    assert keys == {SPARK_TAG: 3, WAREHOUSE_TAG: 1}
