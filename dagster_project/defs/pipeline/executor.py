"""A Dagster executor that runs a run's steps in one process, several at a time, on threads.

Dagster ships two local executors: in-process (one step at a time) and multiprocess (a
process per step). Neither fits a run whose steps mostly wait: a Spark step spends its time
waiting on the JVM (embedded or a Spark Connect server), a gate on DuckDB, a dbt step on
DuckDB and dbt's own threads (decision 0028). One at a time, the day's gates, Spark steps and dbt never overlap; a process per
step would start Python, import the definitions and open a JVM or a Connect session per
step. Here the steps share the process, its one SparkSession and its DuckDB, and a thread
per running step lets independent steps overlap (decision 0015).

Dagster's own step machinery does the work: ``ActiveExecution`` decides what may run (the
dependencies, blocking checks, ``dagster/priority``, ``max_concurrent`` and
``tag_concurrency_limits``), and each step runs ``dagster_event_sequence_for_step`` on its
thread. Only the main thread touches ``ActiveExecution``; the threads hand their events
over a queue. This leans on Dagster internals (``dagster._core``), pinned with Dagster.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.execution.api import ExecuteRunWithPlanIterable
from dagster._core.execution.compute_logs import create_compute_log_file_key
from dagster._core.execution.context.system import PlanExecutionContext, PlanOrchestrationContext
from dagster._core.execution.context_creation_job import PlanExecutionContextManager
from dagster._core.execution.plan.execute_plan import (
    _trigger_hook,
    dagster_event_sequence_for_step,
)
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.retries import RetryMode, get_retries_config
from dagster._core.execution.tags import get_tag_concurrency_limits_config
from dagster._core.executor.base import Executor

from spark_jobs.common.window import DeliveryWindow

SPARK_TAG = "epilake/spark"  # steps that run Spark work
WAREHOUSE_TAG = "epilake/warehouse"  # steps that open the DuckDB warehouse file
# Steps at once: on two cores a Spark step and the gates of the feeds before it overlap;
# more only queue for the same cores.
DEFAULT_MAX_CONCURRENT = 3
# Spark steps at once. A first load's or a backfill's steps each fill the heap: one at a
# time. A small delivery's steps are mostly Spark's and Delta's per-operation work, and two
# side by side reach the dashboard sooner (decision 0024; in decision 0015's code they did
# not). A bigger machine may raise either in run config.
DEFAULT_SPARK_STEPS = 1
SMALL_DELIVERY_SPARK_STEPS = 2
# DuckDB lets one writer open a database file and no reader open it meanwhile (in this
# process or another): dbt, the mart gates, the dashboard and the extracts take turns.
WAREHOUSE_STEPS = 1
POLL_SECONDS = 0.5


def spark_steps_for(window: DeliveryWindow) -> int:
    """Spark steps at once for a run over ``window``: two for a small (daily) delivery."""
    return SMALL_DELIVERY_SPARK_STEPS if window.is_small else DEFAULT_SPARK_STEPS


def concurrency_limits(spark_steps: int) -> list[dict[str, Any]]:
    """``tag_concurrency_limits`` for a run: ``spark_steps`` Spark steps at a time."""
    return [
        {"key": SPARK_TAG, "limit": spark_steps},
        {"key": WAREHOUSE_TAG, "limit": WAREHOUSE_STEPS},
    ]


@dataclass
class _Running:
    step_context: Any
    thread: threading.Thread
    events: list[DagsterEvent] = field(default_factory=list)


_DONE = object()


def _run_step(step_context, key: str, out: queue.Queue) -> None:
    """A step's events onto ``out``; then ``_DONE``, or the exception Dagster let through."""
    try:
        for event in dagster_event_sequence_for_step(step_context):
            out.put((key, event))
        out.put((key, _DONE))
    except BaseException as error:  # handed to the main thread, which raises it
        out.put((key, error))


def threaded_plan_iterator(
    job_context: PlanExecutionContext,
    execution_plan: ExecutionPlan,
    max_concurrent: int,
    tag_concurrency_limits: Sequence[dict[str, Any]],
) -> Iterator[DagsterEvent]:
    """Run the plan's steps on threads; what ``inner_plan_execution_iterator`` does one at
    a time."""
    compute_logs = job_context.instance.compute_log_manager
    step_keys = [step.key for step in execution_plan.get_steps_to_execute_in_topo_order()]
    out: queue.Queue = queue.Queue()
    running: dict[str, _Running] = {}
    with ExitStack() as stack:
        concurrency = stack.enter_context(
            InstanceConcurrencyContext(job_context.instance, job_context.dagster_run)
        )
        active = stack.enter_context(
            execution_plan.start(
                retry_mode=job_context.retry_mode,
                max_concurrent=max_concurrent,
                tag_concurrency_limits=list(tag_concurrency_limits),
                instance_concurrency_context=concurrency,
                step_dependency_config=job_context.step_dependency_config,
            )
        )
        log_key = compute_logs.build_log_key_for_run(
            job_context.run_id, create_compute_log_file_key()
        )
        log_context = stack.enter_context(compute_logs.capture_logs(log_key))
        yield DagsterEvent.capture_logs(job_context, step_keys, log_key, log_context)

        while not active.is_complete:
            for step in active.get_steps_to_execute():
                step_context = job_context.for_step(step, active.get_known_state())
                thread = threading.Thread(
                    target=_run_step,
                    args=(step_context, step.key, out),
                    name=f"step-{step.key}",
                    daemon=True,
                )
                running[step.key] = _Running(step_context, thread)
                thread.start()
            yield from active.concurrency_event_iterator(job_context)
            if not running:
                active.sleep_til_ready()  # waiting on a retry or a concurrency pool
                continue
            try:
                key, item = out.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if isinstance(item, BaseException):
                raise item
            if item is _DONE:
                finished = running.pop(key)
                finished.thread.join()
                active.verify_complete(job_context, key)
                yield from active.plan_events_iterator(job_context)
                yield from _trigger_hook(finished.step_context, finished.events)
                continue
            running[key].events.append(item)
            yield item
            active.handle_event(item)


class ThreadedExecutor(Executor):
    def __init__(
        self,
        retries: RetryMode,
        max_concurrent: int,
        tag_concurrency_limits: Sequence[dict[str, Any]],
    ):
        self._retries = retries
        self.max_concurrent = max_concurrent
        self.tag_concurrency_limits = list(tag_concurrency_limits)

    @property
    def retries(self) -> RetryMode:
        return self._retries

    def execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        yield DagsterEvent.engine_event(
            plan_context,
            f"Executing steps in process (pid: {os.getpid()}), up to {self.max_concurrent} "
            f"at a time on threads; limits {self.tag_concurrency_limits}",
            event_specific_data=EngineEventData.in_process(
                os.getpid(), execution_plan.step_keys_to_execute
            ),
        )

        def iterator(job_context: PlanExecutionContext, execution_plan: ExecutionPlan):
            return threaded_plan_iterator(
                job_context, execution_plan, self.max_concurrent, self.tag_concurrency_limits
            )

        yield from iter(
            ExecuteRunWithPlanIterable(
                execution_plan=plan_context.execution_plan,
                iterator=iterator,
                execution_context_manager=PlanExecutionContextManager(
                    job=plan_context.job,
                    retry_mode=plan_context.retry_mode,
                    execution_plan=plan_context.execution_plan,
                    run_config=plan_context.run_config,
                    dagster_run=plan_context.dagster_run,
                    instance=plan_context.instance,
                    raise_on_error=plan_context.raise_on_error,
                    output_capture=plan_context.output_capture,
                ),
            )
        )


@dg.executor(
    name="epilake_threads",
    config_schema={
        "retries": get_retries_config(),
        "max_concurrent": dg.Field(
            int,
            default_value=DEFAULT_MAX_CONCURRENT,
            description="Steps running at once (threads of the run's process).",
        ),
        "tag_concurrency_limits": get_tag_concurrency_limits_config(),
    },
)
def threaded_executor(init_context: dg.InitExecutorContext) -> ThreadedExecutor:
    """Steps on threads of the run's process: one SparkSession and one DuckDB for all."""
    config = init_context.executor_config
    limits = config.get("tag_concurrency_limits") or concurrency_limits(DEFAULT_SPARK_STEPS)
    return ThreadedExecutor(
        retries=RetryMode.from_config(config["retries"]),  # type: ignore[arg-type]
        max_concurrent=config["max_concurrent"],
        tag_concurrency_limits=limits,
    )


def threaded_run_config(
    max_concurrent: int = DEFAULT_MAX_CONCURRENT, spark_steps: int = DEFAULT_SPARK_STEPS
) -> dict:
    """The ``execution`` block of run config for ``threaded_executor``."""
    return {
        "execution": {
            "config": {
                "max_concurrent": max_concurrent,
                "tag_concurrency_limits": concurrency_limits(spark_steps),
            }
        }
    }
