"""Bad input: broken or implausible lines are quarantined while the rest loads and publishes."""

import json
from pathlib import Path

import duckdb
import pytest

from spark_jobs.lab import job
from tests import register
from tests.fhir import observation
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration


def _write(landing: Path, relative: str, lines: list) -> Path:
    path = landing / "lab" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\r\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_lines_are_quarantined_with_reasons_and_good_lines_load(spark, settings):
    _write(
        settings.landing,
        "2020-04-02/mixed-01.ndjson",
        [
            observation(id="good-1"),
            '{"resourceType": "Observation", "id": "cut-off',
            observation(id="good-2", subject={"reference": "Patient/7700000002"}),
            observation(
                id="bad-code", code={"coding": [{"system": "http://loinc.org", "code": "1234-5"}]}
            ),
            observation(id="bad-order", effectiveDateTime="2020-04-05T10:00:00+03:00"),
            "",
            observation(id="good-3", status="preliminary", valueCodeableConcept=None),
        ],
    )
    summary = job.ingest_bronze(spark, settings)
    assert (summary.records_read, summary.records_accepted, summary.records_quarantined) == (
        7,
        3,
        4,
    )
    assert summary.reconciles

    quarantine = spark.read.format("delta").load(settings.table_path("quarantine", "lab"))
    reasons = {r["_line"]: (r["rule"], r["reason"]) for r in quarantine.collect()}
    assert reasons[2][0] == "json_malformed"
    assert reasons[4] == ("unknown_loinc", "unknown LOINC 1234-5")
    assert reasons[5][0] == "collected_after_issued" and "after issued" in reasons[5][1]
    assert reasons[6][0] == "empty_line"

    silver = job.promote_to_silver(spark, settings)
    assert silver.rows_total == 3
    audit = spark.read.format("delta").load(settings.table_path("ops", "batch_audit")).collect()
    assert [
        (r["records_read"], r["records_accepted"], r["records_quarantined"], r["status"])
        for r in audit
    ] == [(7, 3, 4, "loaded")]


def test_a_not_utf8_file_is_quarantined_whole_and_the_run_goes_on(spark, settings):
    _write(settings.landing, "2020-04-02/good-01.ndjson", [observation(id="ok-1")])
    bad = settings.landing / "lab" / "2020-04-02" / "latin-01.ndjson"
    bad.write_bytes(
        json.dumps(observation(id="x", status="финал"), ensure_ascii=False).encode("cp1251")
    )
    summary = job.ingest_bronze(spark, settings)
    assert summary.files_loaded == 1 and summary.files_quarantined == 1
    assert any("not UTF-8" in m for m in summary.messages)
    assert (settings.rejected_dir / "lab" / "2020-04-02" / "latin-01.ndjson").exists()


def test_an_implausible_record_is_quarantined_and_the_run_publishes(spark, tmp_path):
    """Through the CLI (``epilake run``, in this process and on the test run's Spark session):
    a SARS-CoV-2 PCR collected in 2015 follows the feed contract but not the world; it is
    quarantined with its reason, and the run publishes the rest."""
    landing, home = tmp_path / "landing", tmp_path / "home"
    _write(
        landing,
        "2020-04-02/lab-01.ndjson",
        [
            observation(id="fine"),
            observation(
                id="from-2015",
                effectiveDateTime="2015-04-01T10:00:00+03:00",
                issued="2015-04-02T10:00:00+03:00",
            ),
        ],
    )
    register.deliver(landing, "2020-04-02")  # the patient both results name
    result = run_cli(landing, home)
    output = result.output
    assert result.exit_code == 0, output
    assert "Pipeline succeeded" in output
    quarantine = spark.read.format("delta").load(str(home / "lake" / "quarantine" / "lab"))
    rows = [(r["rule"], r["reason"]) for r in quarantine.collect()]
    assert [rule for rule, _ in rows] == ["before_pandemic"]
    assert "2015-04-01 is before 2019-12-01" in rows[0][1]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        assert connection.execute("select sum(tests) from marts.fct_tests_daily").fetchone()[0] == 1
    assert (home / "dashboards" / "index.html").exists()
