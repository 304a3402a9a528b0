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
from datetime import date
from pathlib import Path

import duckdb
import pytest

from epilake.generator import CityConfig, generate_city
from epilake.privacy import pseudonymise
from epilake.publication import HELD, read_statuses
from tests import register
from tests.conftest import TEST_SECRET
from tests.fhir import observation, record
from tests.integration.conftest import run_on

pytestmark = pytest.mark.integration

CITY = CityConfig(patients=1_200, days=36, seed=5, dirt=0.0)
# Two patients of the clean city at the edges of the definitions (issue #41, point 3): one
# admitted 2 days before the positive test (still a COVID stay), one dead on day 28 of the
# episode (still a COVID death). Their positive test is taken on 5 March.
ADMITTED_EARLY, DIED_ON_DAY_28 = "7799000001", "7799000002"
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


def _write(folder: Path, name: str, resources: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in resources))


def _deliver_the_edges(landing: Path) -> None:
    """Contract-valid rows at the edges, delivered with the city (batch 90 of their days)."""
    joined = "2020-03-01T09:00:00+03:00"
    register.deliver(
        landing,
        "2020-03-01",
        *(
            register.row(event_id=f"evt-edge-{p}", patient_id=p, event_time=joined)
            for p in (ADMITTED_EARLY, DIED_ON_DAY_28)
        ),
        batch="90",
    )
    _write(
        landing / "lab" / "2020-03-06",
        "lab-edge-90.ndjson",
        [
            observation(
                id=f"obs-edge-{p}",
                subject={"reference": f"Patient/{p}"},
                identifier=[{"system": "urn:epilake:accession", "value": f"ACC-EDGE-{p}"}],
                effectiveDateTime="2020-03-05T10:00:00+03:00",
                issued="2020-03-06T09:00:00+03:00",
                meta={"lastUpdated": "2020-03-06T09:00:00+03:00"},
            )
            for p in (ADMITTED_EARLY, DIED_ON_DAY_28)
        ],
    )
    stay = record(
        "Encounter",
        id="enc-edge-1",
        subject={"reference": f"Patient/{ADMITTED_EARLY}"},
        period={"start": "2020-03-03T10:00:00+03:00", "end": "2020-03-09T12:00:00+03:00"},
        meta={"lastUpdated": "2020-03-09T13:00:00+03:00"},
    )
    _write(landing / "records" / "2020-03-10", "rec-20200310-90.Encounter.ndjson", [stay])
    died = register.row(
        event_id="evt-edge-death",
        patient_id=DIED_ON_DAY_28,
        event_time="2020-04-02T09:00:00+03:00",
        covid_status="deceased",
        status_since="2020-04-02",
    )
    register.deliver(landing, "2020-04-02", died, batch="90")


def _edge_figures(settings) -> dict:
    """What the marts made of the edge rows (the build warehouse also has the deaths)."""
    admitted, died = (pseudonymise(p, TEST_SECRET) for p in (ADMITTED_EARLY, DIED_ON_DAY_28))
    with duckdb.connect(str(settings.build_warehouse), read_only=True) as connection:
        journey = connection.execute(
            "select episode_start, days_to_admission from marts.fct_patient_journeys "
            "where patient_key = ?",
            [admitted],
        ).fetchall()
        death = connection.execute(
            "select death_date, is_covid_death from intermediate.int_deaths where patient_key = ?",
            [died],
        ).fetchall()
    return {"journey": journey, "death": death}


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
    _deliver_the_edges(landing)
    first = run_on(landing, root / "home")
    before = _marts(first.settings.warehouse)
    edges = _edge_figures(first.settings)

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
        "first": first,
        "edges": edges,
        "before": before,
        "bad": bad,
        "bad_marts": bad_marts,
        "clean": clean,
        "statuses": statuses_then,
        "page": held_page,
        "caught_up": caught_up,
    }


def test_rows_at_the_definitions_edges_pass_every_gate_and_count_as_defined(runs):
    first = runs["first"]
    assert first.report.success, first.output  # every gate passed: nothing held back
    assert first.report.held == []
    assert runs["edges"]["journey"] == [(date(2020, 3, 5), -2)]  # admitted 2 days before
    assert runs["edges"]["death"] == [(date(2020, 4, 2), True)]  # day 28: a COVID death


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
