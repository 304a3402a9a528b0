"""The Dagster event log `epilake run` configures: Dagster's SQLite storage, engines kept."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry

from epilake.dagster_storage import (
    DAGSTER_YAML,
    EARLIER_DAGSTER_YAMLS,
    PooledSqliteEventLogStorage,
    ensure_dagster_yaml,
)


def _materialization(run_id: str, key: str) -> EventLogEntry:
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="job",
        event_specific_data=StepMaterializationData(dg.AssetMaterialization(asset_key=key)),
    )
    return EventLogEntry(
        error_info=None,
        level=20,
        user_message="",
        run_id=run_id,
        timestamp=time.time(),
        job_name="job",
        dagster_event=event,
    )


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    ensure_dagster_yaml(tmp_path)
    return tmp_path


def test_a_new_home_gets_the_pooled_event_log_in_dagsters_own_place(dagster_home: Path):
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        run_id = str(uuid.uuid4())
        storage.store_event(_materialization(run_id, "silver_patients"))
        assert [e.dagster_event.asset_key for e in instance.all_logs(run_id)] == [
            dg.AssetKey("silver_patients")
        ]
        assert instance.get_latest_materialization_event(dg.AssetKey("silver_patients"))
    # Dagster's default layout: run shards and the index under history/runs.
    shards = {p.name for p in (dagster_home / "history" / "runs").glob("*.db")}
    assert shards == {f"{run_id}.db", "index.db"}


def test_threads_write_one_run_and_every_event_is_kept(dagster_home: Path):
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        run_id = str(uuid.uuid4())

        def write(thread: int) -> None:
            for i in range(20):
                storage.store_event(_materialization(run_id, f"asset_{thread}_{i}"))

        threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        keys = {e.dagster_event.asset_key for e in instance.all_logs(run_id)}
        assert keys == {dg.AssetKey(f"asset_{t}_{i}") for t in range(3) for i in range(20)}


def test_engines_are_kept_for_the_index_and_the_newest_runs_only(dagster_home: Path):
    storage = PooledSqliteEventLogStorage()
    runs = [str(uuid.uuid4()) for _ in range(6)]
    for run_id in runs:
        storage.store_event(_materialization(run_id, "lab_results"))
    kept = list(storage._engines)
    assert len(kept) == PooledSqliteEventLogStorage.KEPT_SHARDS
    assert "index" in kept and runs[-1] in kept and runs[0] not in kept
    # A closed shard opens again when read.
    assert len(storage.get_logs_for_run(runs[0])) == 1
    storage.dispose()
    assert not storage._engines


def test_wipe_closes_the_engines_before_deleting_the_files(dagster_home: Path):
    storage = PooledSqliteEventLogStorage()
    run_id = str(uuid.uuid4())
    storage.store_event(_materialization(run_id, "contacts"))
    storage.wipe()
    assert storage.get_logs_for_run(run_id) == []
    storage.store_event(_materialization(run_id, "contacts"))
    assert len(storage.get_logs_for_run(run_id)) == 1
    storage.dispose()


def test_an_earlier_default_yaml_is_upgraded_and_a_changed_one_kept(tmp_path: Path):
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "dagster.yaml").write_text(EARLIER_DAGSTER_YAMLS[0])
    ensure_dagster_yaml(earlier)
    assert (earlier / "dagster.yaml").read_text() == DAGSTER_YAML

    custom = tmp_path / "custom"
    custom.mkdir()
    mine = "telemetry:\n  enabled: false\nrun_retries:\n  enabled: true\n"
    (custom / "dagster.yaml").write_text(mine)
    ensure_dagster_yaml(custom)
    assert (custom / "dagster.yaml").read_text() == mine


def test_without_a_dagster_home_it_says_what_to_set(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(RuntimeError, match="DAGSTER_HOME"):
        PooledSqliteEventLogStorage()
