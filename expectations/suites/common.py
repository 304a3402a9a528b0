"""Building blocks shared by the suites: severities and the expectations every layer uses.

GX is imported when a suite is built, not with this module: importing it takes 3-6 s, and
the Dagster definitions (which name the suites) are imported before every run starts.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx

# GX's FailureSeverity values (a str enum): GX takes either.
ERROR = "critical"  # blocks everything downstream of the asset
WARN = "warning"  # recorded in ops/quality_results and the Data Docs
HMAC = r"^[0-9a-f]{64}$"  # a pseudonymous key: keyed HMAC-SHA256 in hex


def _gx() -> ModuleType:
    import great_expectations

    return great_expectations


class _Expectations:
    """``e.ExpectX`` resolves to ``great_expectations.expectations.ExpectX`` when first used."""

    def __getattr__(self, name: str):
        return getattr(_gx().expectations, name)


e = _Expectations()


def suite(name: str, expectations: list) -> gx.ExpectationSuite:
    return _gx().ExpectationSuite(name=name, expectations=expectations)


def required(*columns: str, severity=ERROR) -> list:
    return [e.ExpectColumnValuesToNotBeNull(column=c, severity=severity) for c in columns]


def one_of(column: str, values, severity=ERROR):
    return e.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values), severity=severity)


def between(column: str, low=None, high=None, severity=ERROR):
    """``low``/``high``: numbers, or dates for date columns (GX compares like with like)."""
    return e.ExpectColumnValuesToBeBetween(
        column=column, min_value=low, max_value=high, severity=severity
    )


def ordered(later: str, earlier: str, severity=ERROR):
    """``later`` is on or after ``earlier`` wherever both are present."""
    return e.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later,
        column_B=earlier,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        severity=severity,
    )


def unique(*columns: str, severity=ERROR):
    if len(columns) == 1:
        return e.ExpectColumnValuesToBeUnique(column=columns[0], severity=severity)
    return e.ExpectCompoundColumnsToBeUnique(column_list=list(columns), severity=severity)


def pseudonymous(*columns: str) -> list:
    return [e.ExpectColumnValuesToMatchRegex(column=c, regex=HMAC, severity=ERROR) for c in columns]


def referential() -> list:
    """The register match over the whole table: few rows waiting for their patient (blocking:
    many mean the register feed is broken), none waiting long (recorded)."""
    from expectations import thresholds

    return [
        e.ExpectColumnMaxToBeBetween(
            column="_unmatched_share",
            min_value=0,
            max_value=thresholds.MAX_UNMATCHED_SHARE,
            severity=ERROR,
        ),
        e.ExpectColumnMaxToBeBetween(
            column="_oldest_unmatched_days",
            min_value=0,
            max_value=thresholds.MAX_UNMATCHED_DAYS,
            severity=WARN,
        ),
    ]
