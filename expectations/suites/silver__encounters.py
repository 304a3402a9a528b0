"""GX suite ``silver__encounters``: GP visits, ambulance call-outs, stays, telemedicine."""

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

SUITE_NAME = "silver__encounters"


def build_suite(run_date: date):
    return suite(
        SUITE_NAME,
        [
            one_of("class_code", codes.ENCOUNTER_CLASSES),
            one_of("status", codes.ENCOUNTER_STATUSES),
            one_of("discharge_disposition", codes.DISCHARGE_DISPOSITIONS),
            one_of("_icu_outside_a_stay", [False]),  # ICU is a type of hospital stay (IMP)
            *pseudonymous("patient_key"),
            *required("encounter_id", "patient_key", "class_code", "started_at", "start_date"),
            unique("encounter_id"),
            between(
                "start_date",
                thresholds.EARLIEST_PLAUSIBLE_EVENT_DATE,
                run_date,
            ),
            ordered("ended_at", "started_at"),
            between("_stay_days", 0, thresholds.MAX_STAY_DAYS, severity=WARN),
            *referential(),
        ],
    )
