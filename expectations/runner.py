"""Run a GX suite on a Spark DataFrame and summarise it for people and for Dagster."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

import great_expectations as gx
from great_expectations.core.result_format import ResultFormat
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.metadata_types import FailureSeverity
from pyspark.sql import DataFrame

EXAMPLES = 5


@dataclass(frozen=True)
class FailedExpectation:
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None
    examples: list = field(default_factory=list)

    def describe(self) -> str:
        target = f" on {self.column}" if self.column else ""
        count = f"{self.unexpected_count} rows" if self.unexpected_count is not None else "table"
        shown = f", e.g. {self.examples}" if self.examples else ""
        return f"{self.expectation}{target} [{self.severity}]: {count}{shown}"


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    row_count: int
    evaluated: int
    failures: list[FailedExpectation]
    raw: object = field(repr=False, default=None)

    @property
    def blocking_failures(self) -> list[FailedExpectation]:
        return [f for f in self.failures if f.severity == FailureSeverity.CRITICAL.value]

    @property
    def passed(self) -> bool:
        return not self.blocking_failures


@cache
def _context() -> gx.data_context.AbstractDataContext:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def validate_dataframe(frame: DataFrame, suite: gx.ExpectationSuite) -> SuiteOutcome:
    """Validate a whole Spark DataFrame against ``suite`` (GX's Spark execution engine)."""
    context = _context()
    name = suite.name
    try:
        source = context.data_sources.get(name)
    except (KeyError, ValueError):
        source = context.data_sources.add_spark(name=name)
    try:
        asset = source.get_asset("frame")
    except LookupError:
        asset = source.add_dataframe_asset(name="frame")
    try:
        batch_definition = asset.get_batch_definition("whole")
    except (KeyError, ValueError):
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format=ResultFormat.SUMMARY)
    failures = []
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        details = item.result or {}
        failures.append(
            FailedExpectation(
                expectation=config.type,
                column=config.kwargs.get("column") or config.kwargs.get("column_A"),
                severity=FailureSeverity(config.severity).value,
                unexpected_count=details.get("unexpected_count"),
                examples=[
                    str(v) for v in (details.get("partial_unexpected_list") or [])[:EXAMPLES]
                ],
            )
        )
    return SuiteOutcome(
        suite=suite.name,
        row_count=frame.count(),
        evaluated=len(result.results),
        failures=failures,
        raw=result,
    )
