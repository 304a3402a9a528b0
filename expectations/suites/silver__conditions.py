"""GX suite ``silver__conditions``: ICD-10 diagnoses."""

from __future__ import annotations

from datetime import date

from expectations import thresholds
from expectations.suites.common import (
    WARN,
    between,
    one_of,
    ordered,
    pseudonymous,
    referential,
    required,
    suite,
    unique,
)
from spark_jobs.records import codes

SUITE_NAME = "silver__conditions"


def build_suite(run_date: date):
    return suite(
        SUITE_NAME,
        [
            one_of("icd10_code", codes.CONDITION_CODES),
            *pseudonymous("patient_key"),
            *required("condition_id", "patient_key", "icd10_code"),
            *required("recorded_date", "encounter_id", severity=WARN),
            unique("condition_id"),
            between(
                "recorded_date",
                thresholds.EARLIEST_PLAUSIBLE_EVENT_DATE,
                run_date,
            ),
            ordered("recorded_at", "onset_at", severity=WARN),
            *referential(),
        ],
    )
