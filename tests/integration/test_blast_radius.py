"""One failed table holds back what is built from it, nothing else (issue #41, point 1).

A generated city runs clean up to its next-to-last day. Then, on two copies of that home,
the same next delivery arrives, in one copy with a records file of vaccinations whose
patients the register does not hold (contract-valid, and a systemic signal: the gate on
``silver/immunizations`` fails on the share of rows waiting for the register). The run with
the bad file publishes every mart equal, cell for cell, to the clean copy's, except the
immunity mart (and the others built from vaccinations), which keep their last published
version; the dashboard says so; the next clean delivery publishes everything.
"""

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from epilake.generator import CityConfig, generate_city
from epilake.publication import HELD, read_statuses
from tests.fhir import record
from tests.integration.conftest import run_on

pytestmark = pytest.mark.integration

CITY = CityConfig(patients=1_200, days=24, seed=5, dirt=0.0)
HELD_BY_VACCINATIONS = {
    "marts.fct_immunity_daily",
    "marts.dim_patients",
    "extracts.extract_ct_outcomes",
}


def _move_day(landing: Path, day: str, to: Path) -> None:
    for folder in landing.glob(f"*/{day}"):
        target = to / folder.parent.name / day
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(folder, target)


def _deliver(held: Path, day: str, landing: Path) -> None:
    for folder in held.glob(f"*/{day}"):
        shutil.copytree(folder, landing / folder.parent.name / day)


def _vaccinations_of_unknown_patients(landing: Path, day: str) -> None:
    folder = landing / "records" / day
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            record(
                "Immunization",
                id=f"imm-unknown-{n}",
                subject={"reference": f"Patient/{9900000000 + n}"},
                occurrenceDateTime=f"{day}T11:00:00+03:00",
                meta={"lastUpdated": f"{day}T12:00:00+03:00"},
            )
        )
        for n in range(40)
    ]
    stamp = day.replace("-", "")
    (folder / f"rec-{stamp}-90.Immunization.ndjson").write_text("\n".join(lines) + "\n")


def _marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every published relation's rows, sorted (cell-for-cell comparison)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        relations = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('marts', 'extracts')"
        ).fetchall()
        return {
            name: sorted(connection.execute(f"select * from {name}").fetchall(), key=repr)
            for (name,) in relations
        }


@pytest.fixture(scope="module")
def runs(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("blast")
    landing, later = root / "landing", root / "later"
    generate_city(landing, CITY)
    days = sorted({p.name for p in landing.glob("*/20*")})
    next_day, day_after = days[-2], days[-1]
    for day in (next_day, day_after):
        _move_day(landing, day, later)
    first = run_on(landing, root / "home")
    assert first.report.success, first.output
    before = _marts(first.settings.warehouse)

    # The same home and landing twice: one gets the bad file with the next delivery.
    shutil.copytree(root / "home", root / "clean-home")
    shutil.copytree(landing, root / "clean-landing")
    _deliver(later, next_day, landing)
    _deliver(later, next_day, root / "clean-landing")
    _vaccinations_of_unknown_patients(landing, next_day)
    bad = run_on(landing, root / "home")
    clean = run_on(root / "clean-landing", root / "clean-home")
    held_page = (bad.settings.dashboards_dir / "index.html").read_text()
    bad_marts = _marts(bad.settings.warehouse)
    statuses_then = read_statuses(bad.settings.warehouse)

    _deliver(later, day_after, landing)
    caught_up = run_on(landing, root / "home")
    return {
        "before": before,
        "bad": bad,
        "bad_marts": bad_marts,
        "clean": clean,
        "statuses": statuses_then,
        "page": held_page,
        "caught_up": caught_up,
    }


def test_the_run_fails_and_names_the_gate_and_what_it_holds_back(runs):
    bad = runs["bad"]
    assert not bad.report.success
    assert any("silver__immunizations" in failure for failure in bad.report.failures)
    assert set(bad.report.held) == HELD_BY_VACCINATIONS
    assert "marts.fct_cases_daily" in bad.report.published
    assert "Held back" in bad.output and "silver__immunizations" in bad.output


def test_every_other_mart_equals_the_clean_runs_cell_for_cell(runs):
    clean = _marts(runs["clean"].settings.warehouse)
    assert runs["clean"].report.success, runs["clean"].output
    others = set(clean) - HELD_BY_VACCINATIONS
    assert {"marts.fct_cases_daily", "marts.fct_tests_daily", "marts.fct_hospital_daily"} <= others
    for relation in sorted(others):
        assert runs["bad_marts"][relation] == clean[relation], relation


def test_held_marts_keep_their_last_published_version(runs):
    for relation in HELD_BY_VACCINATIONS:
        assert runs["bad_marts"][relation] == runs["before"][relation], relation
        status = runs["statuses"][relation]
        assert status.status == HELD
        assert status.held_since is not None and status.published_at is not None
        assert "silver/immunizations" in status.gate


def test_the_dashboard_says_what_is_held_back_since_when_and_why(runs):
    page = runs["page"]
    assert 'id="held-banner"' in page
    assert "fct_immunity_daily" in page and "vaccination records" in page
    assert 'data-chart="immunity"' in page and 'data-chart="curve"' not in page


def test_the_next_clean_run_publishes_everything(runs):
    caught_up = runs["caught_up"]
    assert caught_up.report.success, caught_up.output
    assert caught_up.report.held == []
    page = (caught_up.settings.dashboards_dir / "index.html").read_text()
    assert "held-banner" not in page
