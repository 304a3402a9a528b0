"""GX suite ``silver__immunizations``: vaccine doses."""

from __future__ import annotations

from datetime import date

from expectations import thresholds
from expectations.suites.common import (
    WARN,
    between,
    one_of,
    pseudonymous,
    referential,
    required,
    suite,
    unique,
)
from spark_jobs.records import codes

SUITE_NAME = "silver__immunizations"


def build_suite(run_date: date):
    return suite(
        SUITE_NAME,
        [
            one_of("vaccine_code", codes.VACCINES),
            *pseudonymous("patient_key"),
            *required("immunization_id", "patient_key", "vaccine_code", "occurred_date"),
            unique("immunization_id"),
            between("dose_number", 1, 4, severity=WARN),
            between(
                "occurred_date",
                thresholds.EARLIEST_PLAUSIBLE_VACCINATION_DATE,
                run_date,
            ),
            *referential(),
        ],
    )
