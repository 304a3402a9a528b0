"""Every quality gate as a Dagster asset check: blocking when its suite has an ``error``
expectation, so a failure stops everything downstream of the asset."""

import contextlib
import ctypes
import gc
from datetime import UTC, datetime

import dagster as dg

from dagster_project.defs.quality.gates import GATES, Gate
from dagster_project.defs.resources import EpiLakeResource
from expectations.record import append_quality_results
from expectations.runner import SuiteOutcome, quality_rows, validate_dataframe


def suite_check_result(outcome: SuiteOutcome) -> dg.AssetCheckResult:
    """A GX outcome as a check result: which expectation failed, on how many rows, examples."""
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR
        if outcome.blocking_failures
        else dg.AssetCheckSeverity.WARN,
        description="; ".join(f.describe() for f in outcome.failures) or "all expectations met",
        metadata={
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


def gate_check(gate: Gate) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(gate.asset_key)),
        name=gate.suite_name,
        blocking=gate.blocking,
        description=f"Great Expectations suite {gate.suite_name} on {gate.scope}.",
    )
    def check(context: dg.AssetCheckExecutionContext, epilake: EpiLakeResource):
        settings = epilake.settings()
        run_date = settings.now.date()
        frame = gate.read(settings, _run_started(context), run_date)
        if frame.empty:
            return dg.AssetCheckResult(
                passed=True,
                description=f"nothing to check: no {gate.scope} rows",
                metadata={"suite": gate.suite_name, "rows": 0},
            )
        outcome = validate_dataframe(
            frame, gate.build(run_date), docs_dir=settings.reports_dir / "data_docs"
        )
        if len(frame) > LARGE_FRAME_ROWS:
            del frame
            release_memory()
        append_quality_results(
            settings,
            quality_rows(outcome, "/".join(gate.asset_key), context.run.run_id, datetime.now(UTC)),
        )
        return suite_check_result(outcome)

    return check


GATE_CHECKS = [gate_check(gate) for gate in GATES]
