"""Every quality gate: which asset, which GX suite, and what rows it reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from dagster_project.defs.feeds.assets import FEEDS
from dashboards.data import MARTS_SHOWN
from epilake.settings import Settings
from expectations import frames
from expectations.suites import (  # GX is imported when a suite is built, not here
    bronze,
    marts,
    quarantine,
    silver__conditions,
    silver__contacts,
    silver__ct_reports,
    silver__encounters,
    silver__immunizations,
    silver__lab_results,
    silver__patients,
    silver__vital_signs,
)

if TYPE_CHECKING:
    import great_expectations as gx

Reader = Callable[[Settings, datetime, date], pd.DataFrame]


@dataclass(frozen=True)
class Gate:
    asset_key: tuple[str, ...]
    suite_name: str
    build: Callable[[date], gx.ExpectationSuite]
    read: Reader
    scope: str  # what the gate reads, for people
    step: str  # the Dagster op that runs it with its neighbours: <feed>_bronze_gates, ...
    # Whether a failure stops what is downstream. Declared, not read from the built suite, so
    # that defining the checks does not import GX; every suite has `error` expectations, and
    # tests/expectations/test_gates.py holds each gate to its suite.
    blocking: bool = True

    @property
    def after_the_dashboard(self) -> bool:
        """A gate on a mart the officials' dashboard does not show runs after the dashboard."""
        return self.step == ANALYST_MARTS_GATES

    @property
    def also_reads(self) -> tuple[tuple[str, ...], ...]:
        """Assets the gate reads besides its own: silver rows are matched to the register, so
        a silver gate waits for this run's register (the silver steps themselves do not)."""
        if self.asset_key[0] == "silver" and self.asset_key != PATIENTS_KEY:
            return (PATIENTS_KEY,)
        return ()

    @property
    def opens_warehouse(self) -> bool:
        return self.asset_key[0] == "marts"


def _loaded(layer: str, *parts: str) -> Reader:
    return lambda settings, since, run_date: frames.loaded_rows(
        settings, layer, *parts, since=since, run_date=run_date
    )


def _mart(spec: marts.MartSpec) -> Reader:
    def read(settings: Settings, since: datetime, run_date: date) -> pd.DataFrame:
        derived = {}
        for name, expression in spec.reconcile.items():
            expression = expression.replace(
                "$silver_episodes", str(frames.episodes_in_silver(settings))
            ).replace("$silver_results", str(frames.results_in_silver(settings)))
            derived[name] = expression
        return frames.mart_rows(settings, spec.model, derived)

    return read


SILVER_SUITES = {
    "lab_results": lambda run_date: silver__lab_results.build_suite(run_date, derived=True),
    "encounters": silver__encounters.build_suite,
    "conditions": silver__conditions.build_suite,
    "vital_signs": silver__vital_signs.build_suite,
    "ct_reports": silver__ct_reports.build_suite,
    "immunizations": silver__immunizations.build_suite,
    "patients": silver__patients.build_suite,
    "contacts": silver__contacts.build_suite,
}
RUN_ROWS = "rows this run loaded"
PATIENTS_KEY = ("silver", "patients")
ANALYST_MARTS_GATES = "analyst_marts_gates"

GATES: list[Gate] = [
    *(
        Gate(
            ("bronze", feed.name, entity),
            bronze.suite_name(feed.name, entity),
            lambda run_date, f=feed.name, n=entity: bronze.build_suite(f, n),
            _loaded("bronze", feed.name, entity),
            RUN_ROWS,
            f"{feed.name}_bronze_gates",
        )
        for feed in FEEDS
        for entity in feed.entities
    ),
    *(
        Gate(
            ("quarantine", feed.name),
            quarantine.suite_name(feed.name),
            lambda run_date, f=feed.name: quarantine.build_suite(f),
            lambda settings, since, run_date, f=feed.name: frames.audit_rows(settings, f, since),
            "batches this run audited",
            f"{feed.name}_bronze_gates",
        )
        for feed in FEEDS
    ),
    *(
        Gate(
            ("silver", table),
            f"silver__{table}",
            SILVER_SUITES[table],
            _loaded("silver", table),
            RUN_ROWS,
            f"{feed.name}_silver_gates",
        )
        for feed in FEEDS
        for table in feed.silver_tables
    ),
    *(
        Gate(
            ("marts", spec.model),
            marts.suite_name(spec.model),
            lambda run_date, m=spec.model: marts.build_suite(m),
            _mart(spec),
            "the whole mart",
            "marts_gates" if spec.model in MARTS_SHOWN else ANALYST_MARTS_GATES,
        )
        for spec in marts.MARTS
    ),
]


def gates_by_step() -> dict[str, list[Gate]]:
    steps: dict[str, list[Gate]] = {}
    for gate in GATES:
        steps.setdefault(gate.step, []).append(gate)
    return steps
