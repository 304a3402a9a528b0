"""Every quality gate as a Dagster asset check.

A failed ``error`` expectation holds back the checked table and what is built from it, and
nothing else: the gate records its failure in ``ops/gate_failures`` and reports to Dagster
as a warning that HOLDS BACK, so Dagster skips nothing; the publication step leaves the
marts the failure reaches at their last published version (``epilake.publication``). The
checks are declared blocking so that what reads the table waits for its verdict.
"""

import contextlib
import ctypes
import gc
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import dagster as dg

from dagster_project.defs.pipeline.executor import WAREHOUSE_TAG
from dagster_project.defs.quality.docs import data_docs_dir
from dagster_project.defs.quality.gates import Gate, gates_by_step
from dagster_project.defs.resources import EpiLakeResource
from epilake.publication import HOLDS_BACK, GateFailure, record_gate_failures
from epilake.settings import Settings
from expectations.record import append_quality_results

if TYPE_CHECKING:
    # The runner imports GX (3-6 s): the gate steps import it when they run, so the
    # definitions, and a run's start, do not wait for it.
    from expectations.runner import SuiteOutcome


def suite_check_result(
    outcome: "SuiteOutcome", key: dg.AssetCheckKey | None = None
) -> dg.AssetCheckResult:
    """A GX outcome as a check result: which expectation failed, on how many rows, examples.

    Always of severity WARN for Dagster (a failed gate holds back through the publication,
    not by skipping steps); ``holds_back`` says whether it failed an ``error`` expectation."""
    described = "; ".join(f.describe() for f in outcome.failures) or "all expectations met"
    return dg.AssetCheckResult(
        asset_key=key.asset_key if key else None,
        check_name=key.name if key else None,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{HOLDS_BACK} what is built from this table: {described}"
        if outcome.blocking_failures
        else described,
        metadata={
            "holds_back": bool(outcome.blocking_failures),
            "suite": outcome.suite,
            "rows": outcome.row_count,
            "expectations": outcome.evaluated,
            "failed": len(outcome.failures),
            "failed_blocking": len(outcome.blocking_failures),
            "failures": dg.MetadataValue.md(
                "\n".join(f"- {f.describe()}" for f in outcome.failures) or "none"
            ),
        },
    )


LARGE_FRAME_ROWS = 100_000  # a first load's frames; a daily run's are far smaller


def release_memory() -> None:
    """Hand a checked frame's memory back to the system before the next step.

    A first load checks millions of rows per gate in this process; without a trim the
    freed heap stays mapped and adds to dbt's and the JVM's memory in the steps after.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _run_started(context: dg.AssetCheckExecutionContext) -> datetime:
    record = context.instance.get_run_record_by_id(context.run.run_id)
    return datetime.fromtimestamp(record.start_time or 0, UTC)


def _check_key(gate: Gate) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(list(gate.asset_key)), gate.suite_name)


def evaluate_gate(
    gate: Gate, settings: Settings, since: datetime, run_id: str
) -> tuple[dg.AssetCheckResult, list[dict], GateFailure | None]:
    """One gate's check result, its ``ops/quality_results`` rows and its failure, if any."""
    key = _check_key(gate)
    run_date = settings.now.date()
    frame = gate.read(settings, since, run_date)
    if frame.empty:
        nothing = dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=True,
            description=f"nothing to check: no {gate.scope} rows",
            metadata={"suite": gate.suite_name, "rows": 0},
        )
        return nothing, [], None
    from expectations.runner import quality_rows, validate_dataframe

    outcome = validate_dataframe(frame, gate.build(run_date), docs_dir=data_docs_dir(settings))
    if len(frame) > LARGE_FRAME_ROWS:
        del frame
        release_memory()
    asset = "/".join(gate.asset_key)
    rows = quality_rows(outcome, asset, run_id, datetime.now(UTC))
    failure = None
    if outcome.blocking_failures:
        reason = "; ".join(f.describe() for f in outcome.blocking_failures)
        failure = GateFailure(asset, gate.suite_name, reason)
    return suite_check_result(outcome, key), rows, failure


def gate_step(step: str, gates: list[Gate]) -> dg.AssetChecksDefinition:
    """The gates of one step (a feed's bronze, a feed's silver, the dashboard's marts, the
    other marts) as one op.

    One op per feed and layer, not per table: a daily run's frames are small, so the
    per-step cost dominates. What a failed gate holds back is still one table and what is
    built from it (the publication step), not the step's other tables.
    """
    by_key = {_check_key(gate): gate for gate in gates}
    tags = {WAREHOUSE_TAG: "read"} if any(gate.opens_warehouse for gate in gates) else {}
    if all(gate.after_the_dashboard for gate in gates):
        tags["dagster/priority"] = "-1"

    @dg.multi_asset_check(
        name=step,
        specs=[
            dg.AssetCheckSpec(
                gate.suite_name,
                asset=key.asset_key,
                blocking=gate.blocking,
                description=f"Great Expectations suite {gate.suite_name} on {gate.scope}.",
                additional_deps=[dg.AssetKey(list(key)) for key in gate.also_reads],
            )
            for key, gate in by_key.items()
        ],
        can_subset=True,
        op_tags=tags or None,
    )
    def checks(context: dg.AssetCheckExecutionContext, epilake: EpiLakeResource):
        settings = epilake.settings()
        since = _run_started(context)
        recorded: list[dict] = []
        failures: list[GateFailure] = []
        for key, gate in by_key.items():
            if key not in context.selected_asset_check_keys:
                continue
            result, rows, failure = evaluate_gate(gate, settings, since, context.run.run_id)
            recorded.extend(rows)
            failures.extend([failure] if failure else [])
            yield result
        append_quality_results(settings, recorded)
        record_gate_failures(settings, context.run.run_id, failures)

    return checks


GATE_CHECKS = [gate_step(step, gates) for step, gates in gates_by_step().items()]
