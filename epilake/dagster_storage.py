"""Dagster's SQLite event log with its connections kept open between writes.

A run writes a thousand and more events (each step's start, logs, outputs, every dbt model's
materialization and every dbt test's check). Dagster's SQLite event log opens a new engine
and connection for each and closes it after; closing the last connection to a WAL database
checkpoints it, so each event cost 20-37 ms on the 2-core machine, all behind one lock the
run's threads share (decision 0025). This class is that same storage, same files and same
schema, with each shard's engine kept: a connection stays open in its pool.

``epilake run`` writes it into ``$DAGSTER_HOME/dagster.yaml`` (``DAGSTER_YAML`` below), so
the Dagster UI (``dagster dev`` with the same ``DAGSTER_HOME``) reads the same history.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy.orm  # noqa: F401  (see below)
from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

# `import sqlalchemy.orm` above: SQLAlchemy imports parts of its ORM lazily on first use. Two
# of a run's step threads writing events at once can both start that import, and one then
# fails ("partially initialized module 'sqlalchemy.orm.exc'"), seen once in a served day.
# The instance loads this storage before any step thread starts.

# The dagster.yaml `epilake run` writes into a new Dagster home: no usage events, and this
# event log. Without a base_dir the event log sits where Dagster's default one does.
DAGSTER_YAML = """\
telemetry:
  enabled: false
event_log_storage:
  module: epilake.dagster_storage
  class: PooledSqliteEventLogStorage
"""
# What earlier versions wrote: a home with exactly this is upgraded to DAGSTER_YAML.
EARLIER_DAGSTER_YAMLS = ("telemetry:\n  enabled: false\n",)


def ensure_dagster_yaml(dagster_home: Path) -> None:
    """Write ``DAGSTER_YAML`` into a Dagster home that has none or an earlier default; a
    dagster.yaml the user changed is kept as it is."""
    config = dagster_home / "dagster.yaml"
    if not config.exists() or config.read_text() in EARLIER_DAGSTER_YAMLS:
        config.write_text(DAGSTER_YAML)


def default_base_dir() -> str:
    """Dagster's own place for the run-sharded event logs: ``$DAGSTER_HOME/history/runs``."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise RuntimeError(
            "PooledSqliteEventLogStorage needs DAGSTER_HOME (or a base_dir in dagster.yaml): "
            "set DAGSTER_HOME to the Dagster home `epilake run` uses (<EPILAKE_HOME>/dagster)."
        )
    return os.path.join(home, "history", "runs", "")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, keeping one engine (and its open connection)
    per shard for the index and the most recently used runs."""

    # The index shard and the runs being written or read; older ones are closed.
    KEPT_SHARDS = 4

    def __init__(self, base_dir: str | None = None, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir or default_base_dir(), inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine_for(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def _engine_for(self, shard: str) -> Engine:
        """The shard's engine, created (and its database initialised) on first use; callers
        hold ``_db_lock``."""
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > self.KEPT_SHARDS:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # the files are deleted: no connection may stay on them
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
