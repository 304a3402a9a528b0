"""Load DuckDB's Delta extension from the pip package ``duckdb-extension-delta``.

DuckDB would otherwise try to download the extension at first use, which fails offline
and in air-gapped hospital networks. Used by the analysts' tools and, as the dbt-duckdb
plugin ``epilake.duckdb_delta`` (its ``Plugin`` class), by every dbt connection.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import duckdb_extension_delta
from dbt.adapters.duckdb.plugins import BasePlugin


def delta_extension_path() -> Path:
    """The extension binary shipped for the installed DuckDB version."""
    package = Path(duckdb_extension_delta.__file__).parent
    path = package / "extensions" / f"v{duckdb.__version__}" / "delta.duckdb_extension"
    if not path.exists():
        raise FileNotFoundError(
            f"No Delta extension for DuckDB {duckdb.__version__} at {path}: install "
            f"duckdb-extension-delta=={duckdb.__version__} (the two versions must match)."
        )
    return path


def load_delta(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"LOAD '{delta_extension_path()}'")


def connect(
    database: str | Path = ":memory:", read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that reads Delta tables and never downloads extensions."""
    connection = duckdb.connect(
        str(database), read_only=read_only, config={"autoinstall_known_extensions": False}
    )
    load_delta(connection)
    return connection


_SHARED: list[duckdb.DuckDBPyConnection] = []
_SHARED_LOCK = threading.Lock()


def lake_cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on this process's one in-memory DuckDB with the Delta extension loaded.

    Loading the extension costs about 0.2 s per connection, and a run's gates and row counts
    read some forty tables; a cursor on a shared database costs nothing. Close it after use.
    """
    with _SHARED_LOCK:
        if not _SHARED:
            _SHARED.append(connect())
        return _SHARED[0].cursor()


class Plugin(BasePlugin):
    """dbt-duckdb plugin: every dbt connection gets ``delta_scan`` without a download."""

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        load_delta(conn)
