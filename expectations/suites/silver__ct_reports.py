"""GX suite ``silver__ct_reports``: chest CT severity."""

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

SUITE_NAME = "silver__ct_reports"


def build_suite(run_date: date):
    return suite(
        SUITE_NAME,
        [
            one_of("ct_code", codes.CT_GRADES),
            between("ct_grade", 0, len(codes.CT_GRADES) - 1),
            *pseudonymous("patient_key"),
            *required("report_id", "patient_key", "performed_date"),
            *required("ct_grade", "encounter_id", severity=WARN),
            unique("report_id"),
            between(
                "performed_date",
                thresholds.EARLIEST_PLAUSIBLE_EVENT_DATE,
                run_date,
            ),
            *referential(),
        ],
    )
