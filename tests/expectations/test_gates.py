"""Each gate's declared blocking matches its suite, and naming the gates does not load GX."""

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from dagster_project.defs.quality.gates import GATES


@pytest.mark.parametrize("gate", GATES, ids=lambda gate: gate.suite_name)
def test_a_gate_blocks_exactly_when_its_suite_has_an_error_expectation(gate):
    severities = {
        str(getattr(e.severity, "value", e.severity)) for e in gate.build(date.today()).expectations
    }
    assert severities <= {"critical", "warning", "info"}
    assert gate.blocking == ("critical" in severities)


@pytest.mark.parametrize(
    "gate", [g for g in GATES if not g.opens_warehouse], ids=lambda gate: gate.suite_name
)
def test_a_lake_gate_before_its_tables_exist_has_nothing_to_check(gate, settings):
    """A run whose first Spark steps find no files (another feed delivered) creates no table;
    their gates then read nothing rather than fail the run."""
    assert gate.read(settings, datetime.now(UTC), date.today()).empty


def test_great_expectations_is_imported_only_by_a_validation(tmp_path):
    """GX takes 3-6 s to import. A run's start (which imports the definitions) must not wait
    for it, nor a run whose gates had nothing to check pay for it at the end."""
    probe = (
        "import sys, pathlib, dagster_project.definitions as d; "
        "from dagster_project.defs.quality.docs import render_pending_data_docs as render; "
        "d.defs.resolve_job_def('epilake_pipeline'); "
        f"print(render(pathlib.Path({str(tmp_path)!r}))); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'great_expectations')[:5]); "
        "from expectations.runner import validate_dataframe; "
        "print('great_expectations' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["0", "[]", "True"]
