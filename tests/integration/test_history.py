"""A landing zone reaching years back runs without a setting, at the cost of its files
(issue #41, point 5): delivery dates are partitions only where files are."""

import json

import pytest

from dagster_project.defs.partitions import DELIVERY_DATES
from tests import register
from tests.fhir import observation, record
from tests.integration.conftest import dagster_instance, run_cli

pytestmark = pytest.mark.integration

HISTORY = {  # delivery date -> the encounter it sends (a patient's earlier history)
    "2010-05-04": "2010-05-01T10:00:00+03:00",
    "2014-09-10": "2014-09-08T10:00:00+03:00",
    "2019-02-01": "2019-01-30T10:00:00+03:00",
}


def test_ten_years_of_deliveries_run_without_a_setting(spark, tmp_path):
    landing, home = tmp_path / "landing", tmp_path / "home"
    for day, started in HISTORY.items():
        folder = landing / "records" / day
        folder.mkdir(parents=True)
        stay = record(
            "Encounter",
            id=f"enc-{day}",
            period={"start": started},
            meta={"lastUpdated": f"{day}T12:00:00+03:00"},
        )
        (folder / f"rec-{day.replace('-', '')}-01.Encounter.ndjson").write_text(
            json.dumps(stay) + "\n"
        )
    register.deliver(
        landing,
        "2010-05-04",
        register.row(event_time="2010-05-03T10:00:00+03:00", status_since="2010-05-01"),
    )
    lab = landing / "lab" / "2020-04-02"
    lab.mkdir(parents=True)
    (lab / "lab-20200402-01.ndjson").write_text(json.dumps(observation(id="pcr-1")) + "\n")
    result = run_cli(landing, home)
    assert result.exit_code == 0, result.output
    assert "Deliveries 2010-05-04 to 2020-04-02" in result.output
    encounters = spark.read.format("delta").load(str(home / "lake" / "silver" / "encounters"))
    assert sorted(r["encounter_id"] for r in encounters.collect()) == sorted(
        f"enc-{day}" for day in HISTORY
    )
    with dagster_instance(home) as instance:
        partitions = instance.get_dynamic_partitions(DELIVERY_DATES.name)
    assert partitions == [*HISTORY, "2020-04-02"]  # four partitions, not 3,620 days
    assert "Pipeline succeeded" in result.output
