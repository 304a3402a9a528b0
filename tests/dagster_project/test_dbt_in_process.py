"""dbt commands run in the test's own process (decision 0028), read by dagster-dbt's
invocation as from the CLI: success, failure, the events' text and the warehouse file."""

import os

import duckdb
import pytest

from dagster_project.defs.dbt.in_process import InProcessDbt
from dagster_project.defs.dbt.resources import dbt_resource


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    """A build warehouse file of its own for dbt's profile (``EPILAKE_BUILD_WAREHOUSE``)."""
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("EPILAKE_BUILD_WAREHOUSE", str(path))
    return path


def test_a_dbt_command_runs_in_this_process_and_streams_its_result_lines(warehouse, tmp_path):
    invocation = dbt_resource().cli(
        ["show", "--inline", "select 6 * 7 as answer"], target_path=tmp_path / "target"
    )

    assert isinstance(invocation.process, InProcessDbt)
    events = list(invocation.stream_raw_events())
    messages = [str(event) for event in events]
    assert invocation.is_successful()
    assert invocation.process.returncode == 0
    assert any("42" in message for message in messages), messages
    assert (tmp_path / "target" / "dbt.log").exists()  # dbt's debug log, as the CLI's
    assert {event.raw_event["info"]["pid"] for event in events} == {os.getpid()}  # no child
    # dbt closed the warehouse: this process may open it read-only, as the gates do.
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select 1").fetchone() == (1,)


def test_a_failed_dbt_command_is_reported_as_the_cli_would(warehouse, tmp_path):
    invocation = dbt_resource().cli(
        ["run-operation", "no_such_macro"], target_path=tmp_path / "target", raise_on_error=False
    )

    invocation.wait()
    assert not invocation.is_successful()
    assert invocation.process.returncode != 0
    error = invocation.get_error()
    assert error is not None and "no_such_macro" in str(error)


def test_a_failing_query_fails_the_command_and_raises_by_default(warehouse, tmp_path):
    invocation = dbt_resource().cli(
        ["show", "--inline", "select * from no_such_table"], target_path=tmp_path / "target"
    )

    with pytest.raises(Exception, match="no_such_table"):
        invocation.wait()
    assert invocation.process.returncode == 2  # the exit code `dbt show` gives on the CLI
