"""GX suite ``silver__vital_signs``: home SpO2, temperature and respiratory rate."""

from __future__ import annotations

from datetime import date

from expectations import thresholds
from expectations.suites.common import (
    between,
    one_of,
    pseudonymous,
    referential,
    required,
    suite,
    unique,
)
from spark_jobs.records import codes

SUITE_NAME = "silver__vital_signs"


def build_suite(run_date: date):
    return suite(
        SUITE_NAME,
        [
            one_of("loinc_code", codes.VITAL_SIGNS),
            one_of("vital_sign", codes.VITAL_SIGNS.values()),
            one_of("_unit_matches_sign", [True]),  # % for SpO2, Cel, /min
            *pseudonymous("patient_key"),
            *required("observation_id", "patient_key", "value", "measured_date"),
            unique("observation_id"),
            between(
                "measured_date",
                thresholds.EARLIEST_PLAUSIBLE_EVENT_DATE,
                run_date,
            ),
            between("_spo2", *thresholds.SPO2_PERCENT),
            between("_body_temperature", *thresholds.BODY_TEMPERATURE_CEL),
            between("_respiratory_rate", *thresholds.RESPIRATORY_RATE_PER_MIN),
            *referential(),
        ],
    )
