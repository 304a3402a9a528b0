"""GX suite ``silver__lab_results``: the gate between silver lab results and the marts."""

from __future__ import annotations

import great_expectations as gx
from great_expectations.expectations.metadata_types import FailureSeverity

from expectations import thresholds
from spark_jobs.lab import codes
from spark_jobs.lab.schemas import SILVER_LAB_RESULTS

SUITE_NAME = "silver__lab_results"
ERROR = FailureSeverity.CRITICAL  # blocks promotion
WARN = FailureSeverity.WARNING  # recorded only

COLUMNS = SILVER_LAB_RESULTS.fieldNames()


def build_suite() -> gx.ExpectationSuite:
    """Conformance, completeness and plausibility of the silver lab results."""
    e = gx.expectations
    expectations = [
        # conformance
        e.ExpectTableColumnsToMatchSet(column_set=COLUMNS, exact_match=True, severity=ERROR),
        e.ExpectColumnValuesToBeInSet(
            column="loinc_code", value_set=sorted(codes.TEST_TYPE_BY_LOINC), severity=ERROR
        ),
        e.ExpectColumnValuesToBeInSet(
            column="test_type", value_set=list(codes.TEST_TYPES), severity=ERROR
        ),
        e.ExpectColumnValuesToBeInSet(
            column="status", value_set=list(codes.STATUSES), severity=ERROR
        ),
        e.ExpectColumnValuesToBeInSet(
            column="result_code", value_set=list(codes.RESULT_CODES), severity=ERROR
        ),
        e.ExpectColumnValuesToMatchRegex(
            column="patient_key", regex=r"^[0-9a-f]{64}$", severity=ERROR
        ),
        # completeness
        e.ExpectColumnValuesToNotBeNull(column="result_id", severity=ERROR),
        e.ExpectColumnValuesToNotBeNull(column="patient_key", severity=ERROR),
        e.ExpectColumnValuesToNotBeNull(column="specimen_date", severity=ERROR),
        e.ExpectColumnValuesToNotBeNull(column="accession_key", severity=WARN),
        e.ExpectColumnValuesToNotBeNull(column="lab_id", severity=WARN),
        # plausibility
        e.ExpectColumnValuesToBeUnique(column="result_id", severity=ERROR),
        e.ExpectColumnValuesToBeBetween(
            column="specimen_date",
            min_value=thresholds.EARLIEST_PLAUSIBLE_SPECIMEN_DATE.isoformat(),
            severity=ERROR,
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="issued_at", column_B="collected_at", or_equal=True, severity=ERROR
        ),
        e.ExpectColumnValuesToBeBetween(
            column="result_value",
            min_value=0,
            max_value=thresholds.MAX_PLAUSIBLE_IGG_BAU_ML,
            severity=ERROR,
        ),
    ]
    return gx.ExpectationSuite(name=SUITE_NAME, expectations=expectations)
