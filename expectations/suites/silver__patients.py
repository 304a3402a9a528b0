"""GX suite ``silver__patients``: the register's SCD2 history."""

from __future__ import annotations

from datetime import date

from expectations import thresholds
from expectations.suites.common import (
    between,
    one_of,
    ordered,
    pseudonymous,
    required,
    suite,
    unique,
)
from spark_jobs.register import codes

SUITE_NAME = "silver__patients"


def build_suite(run_date: date):
    return suite(
        SUITE_NAME,
        [
            *(one_of(column, values) for column, values in codes.ENUMERATIONS.items()),
            between("birth_month", 1, 12),
            *pseudonymous("patient_key"),
            *required("patient_key", "event_id", "valid_from", "birth_year", "okrug"),
            unique("patient_key", "event_id"),
            between("_age", *thresholds.AGE_YEARS),
            between("valid_from_date", high=run_date),
            ordered("valid_to", "valid_from"),
            between("_current_versions", 0, 1),  # at most one current version per patient
        ],
    )
