"""GX suites ``marts__<model>``: counts never negative, rates within bounds, one row per
grain, and the marts reconcile with silver (counted independently of dbt)."""

from __future__ import annotations

from dataclasses import dataclass, field

from expectations import thresholds
from expectations.suites.common import between, required, suite, unique


@dataclass(frozen=True)
class MartSpec:
    model: str
    grain: tuple[str, ...]
    counts: tuple[str, ...] = ()
    percents: tuple[str, ...] = ()
    rates: tuple[str, ...] = ()
    # column -> (low, high) its definition allows, for columns that are not counts
    bounds: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    # derived column name -> SQL over the mart; the gate adds $silver_* figures
    reconcile: dict[str, str] = field(default_factory=dict)


# The COVID stay definition's window (dbt/models/intermediate/int_covid_stays.sql): an episode
# starting up to 14 days before the admission or up to 2 days after it.
STAY_LINK_DAYS_BEFORE = 14
STAY_LINK_DAYS_AFTER_ADMISSION = 2

MARTS = (
    MartSpec(
        "fct_cases_daily",
        ("date", "okrug", "age_band"),
        counts=("new_cases", "cases_rolling_7d", "cumulative_cases", "population"),
        rates=("rate_rolling_7d_per_100k",),
        reconcile={
            "_cases_minus_episodes": "(select sum(new_cases) from marts.fct_cases_daily) "
            "- $silver_episodes"
        },
    ),
    MartSpec(
        "fct_tests_daily",
        ("date", "okrug", "test_type"),
        counts=("tests", "positives"),
        percents=("positivity_rolling_7d",),
        reconcile={
            "_tests_minus_results": "(select sum(tests) from marts.fct_tests_daily) "
            "- $silver_results"
        },
    ),
    MartSpec(
        "fct_tests_daily_city",
        ("date", "test_type"),
        counts=("tests", "positives"),
        percents=("positivity_rolling_7d",),
    ),
    MartSpec(
        "fct_hospital_daily",
        ("date", "okrug"),
        counts=(
            "admissions",
            "occupied_beds",
            "icu_occupied",
            "discharges",
            "deaths_28d",
            "ambulance_callouts",
        ),
    ),
    MartSpec(
        "fct_tracing_daily",
        ("date", "okrug"),
        counts=("index_cases", "contacts"),
        percents=(
            "contacts_notified_within_24h_pct",
            "contacts_tested_pct",
            "cases_previously_named_as_contacts_pct",
        ),
        rates=("contacts_per_case",),
    ),
    MartSpec(
        "fct_tracing_by_setting",
        ("week", "setting"),
        counts=("contacts", "became_cases"),
        percents=("secondary_attack_rate_pct",),
    ),
    MartSpec(
        "fct_immunity_daily",
        ("date", "okrug", "age_band"),
        counts=("vaccinated_first_dose", "fully_vaccinated", "recovered", "antibody_positive"),
        percents=("coverage_pct",),
    ),
    MartSpec(
        "fct_home_monitoring_daily",
        ("date", "okrug"),
        counts=("patients_monitored", "consultations", "low_spo2_alerts", "escalated_to_hospital"),
    ),
    MartSpec("dim_patients", ("patient_key",)),
    MartSpec(
        "fct_patient_journeys",
        ("episode_key",),
        counts=("days_in_hospital",),
        # A COVID stay is one whose episode starts from 14 days before admission to 2 days
        # after it (int_covid_stays): the admission can precede the positive test by 2 days.
        bounds={"days_to_admission": (-STAY_LINK_DAYS_AFTER_ADMISSION, STAY_LINK_DAYS_BEFORE)},
    ),
)
MARTS_BY_MODEL = {spec.model: spec for spec in MARTS}


def suite_name(model: str) -> str:
    return f"marts__{model}"


def build_suite(model: str):
    spec = MARTS_BY_MODEL[model]
    return suite(
        suite_name(model),
        [
            *required(*spec.grain),
            unique(*spec.grain),
            *(between(column, 0) for column in spec.counts),
            *(between(column, 0, 100) for column in spec.percents),
            *(between(column, 0, thresholds.MAX_RATE_PER_100K) for column in spec.rates),
            *(between(column, low, high) for column, (low, high) in spec.bounds.items()),
            *(between(column, 0, 0) for column in spec.reconcile),
        ],
    )
