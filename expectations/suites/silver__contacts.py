"""GX suite ``silver__contacts``: contact tracing pairs."""

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
from spark_jobs.tracing.transforms import OUTCOMES, SETTINGS, TEST_RESULTS

SUITE_NAME = "silver__contacts"


def build_suite(run_date: date):
    return suite(
        SUITE_NAME,
        [
            one_of("setting", SETTINGS),
            one_of("test_result", TEST_RESULTS),
            one_of("outcome", OUTCOMES),
            *pseudonymous("index_patient_key"),
            *required("contact_id", "index_patient_key", "exposure_date", "identified_at"),
            unique("contact_id"),
            between(
                "exposure_date",
                thresholds.EARLIEST_PLAUSIBLE_CONTACT_DATE,
                run_date,
            ),
            ordered("_identified_date", "exposure_date", severity=WARN),
            ordered("notified_at", "identified_at"),
            ordered("quarantine_end", "quarantine_start"),
            *referential(),
        ],
    )
