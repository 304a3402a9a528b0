"""GX suite ``silver__lab_results``: the gate between silver lab results and the marts."""

from __future__ import annotations

from datetime import date

from expectations import thresholds
from expectations.suites.common import (
    ERROR,
    WARN,
    between,
    e,
    one_of,
    ordered,
    pseudonymous,
    referential,
    required,
    suite,
    unique,
)
from spark_jobs.lab import codes
from spark_jobs.lab.schemas import SILVER_LAB_RESULTS

SUITE_NAME = "silver__lab_results"
COLUMNS = SILVER_LAB_RESULTS.fieldNames()
# What the Dagster gate's reader adds (expectations/frames.py).
DERIVED = [
    "_unmatched_share",
    "_oldest_unmatched_days",
    "_age_at_specimen",
    "_share_before_birth",
    "_days_after_death",
]


def build_suite(run_date: date | None = None, derived: bool = False):
    """Conformance, completeness and plausibility of the silver lab results.

    ``derived``: the frame also carries the gate's derived columns (register match, age,
    days after death), as the Dagster gate reads it.
    """
    today = run_date or date.today()
    expectations = [
        # conformance
        e.ExpectTableColumnsToMatchSet(
            column_set=COLUMNS + (DERIVED if derived else []), exact_match=True, severity=ERROR
        ),
        one_of("loinc_code", codes.TEST_TYPE_BY_LOINC),
        one_of("test_type", codes.TEST_TYPES),
        one_of("status", codes.STATUSES),
        one_of("result_code", codes.RESULT_CODES),
        *pseudonymous("patient_key"),
        # completeness
        *required("result_id", "patient_key", "specimen_date"),
        *required("accession_key", "lab_id", severity=WARN),
        # plausibility
        unique("result_id"),
        between("specimen_date", thresholds.EARLIEST_PLAUSIBLE_SPECIMEN_DATE, today),
        ordered("issued_at", "collected_at"),
        between("result_value", 0, thresholds.MAX_PLAUSIBLE_IGG_BAU_ML),
    ]
    if derived:
        expectations += [
            *referential(),
            # A result before its patient's birth is one record's error (recorded); many of
            # them mean the lab's and the register's patients are linked wrongly (blocking).
            between("_age_at_specimen", *thresholds.AGE_YEARS, severity=WARN),
            e.ExpectColumnMaxToBeBetween(
                column="_share_before_birth",
                min_value=0,
                max_value=thresholds.MAX_SHARE_BEFORE_BIRTH,
                severity=ERROR,
            ),
            between("_days_after_death", high=0, severity=WARN),  # none after death
        ]
    return suite(SUITE_NAME, expectations)
