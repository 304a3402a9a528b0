"""dbt commands run inside the Dagster process, read by dagster-dbt as if from a subprocess.

dagster-dbt starts ``dbt`` as a child process and turns the JSON log lines it prints into
Dagster events. A child costs a new interpreter, dbt's imports and its own log formatting
on every step: 5-7 s of the dashboard's 19-21 s ``dbt build`` on this project's 2-core
machine (decision 0028). :class:`InProcessDbt` runs the same command with dbt's Python
API (``dbtRunner``) on a worker thread instead, and offers its events as those same JSON
lines, so dagster-dbt's own invocation reads them unchanged (materializations, asset
checks, errors and ``run_results.json`` as before).
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from collections.abc import Iterator, Sequence
from typing import Any

# dbt keeps its flags, its event manager and its adapters in module globals: one command
# at a time per process. (The threaded executor already runs one warehouse step at a time.)
_ONE_DBT_COMMAND = threading.Lock()
# The levels dbt prints to stdout at its default log level; debug goes to dbt.log only.
_PRINTED_LEVELS = frozenset({"info", "warn", "error"})
_END = None


class _JsonLines:
    """The child's stdout as dagster-dbt reads it: bytes lines until the command ends."""

    def __init__(self, lines: queue.Queue[bytes | None]) -> None:
        self._lines = lines
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        while (line := self._lines.get()) is not _END:
            yield line

    def __enter__(self) -> _JsonLines:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.closed = True


class InProcessDbt:
    """A dbt command on a worker thread, with the part of ``subprocess.Popen``'s interface
    that dagster-dbt's ``DbtCliInvocation`` uses: ``args``, ``stdout``, ``wait``, ``poll``,
    ``returncode`` and ``send_signal``. The exit code follows dbt's CLI: 0 success, 1 a node
    failed, 2 dbt itself failed."""

    def __init__(self, args: Sequence[str]) -> None:
        self.args = list(args)  # args[0] names the dbt executable, as in the logged command
        self.returncode: int | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self.stdout = _JsonLines(self._lines)
        self._thread = threading.Thread(target=self._run, name="dbt", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with _ONE_DBT_COMMAND:
                from dbt.cli.main import dbtRunner

                try:
                    result = dbtRunner(callbacks=[self._print]).invoke(self.args[1:])
                finally:
                    release_warehouse()
            if result.success:
                self.returncode = 0
            else:
                self.returncode = 2 if result.exception is not None else 1
                if result.exception is not None:
                    self._print_error(f"dbt failed: {result.exception}")
        except Exception as error:  # raised outside dbt's own handling: report, never hang
            self.returncode = 2
            self._print_error(f"dbt could not run {' '.join(self.args)}: {error!r}")
        finally:
            self._lines.put(_END)

    def _print(self, event: Any) -> None:
        """dbt's callback: the event as the line ``--log-format json`` prints for it."""
        if event.info.level in _PRINTED_LEVELS:
            from dbt_common.events.functions import msg_to_dict

            self._lines.put(json.dumps(msg_to_dict(event), default=str).encode())

    def _print_error(self, message: str) -> None:
        event = {"info": {"level": "error", "msg": message, "name": "EpiLakeDbtError"}}
        self._lines.put(json.dumps({**event, "data": {}}).encode())

    def wait(self, timeout: float | None = None) -> int:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def poll(self) -> int | None:
        return None if self._thread.is_alive() else self.returncode

    def send_signal(self, signal: int) -> None:
        """dbt's Python API has no cancel: a command in flight finishes its nodes (the step
        that started it has already stopped waiting)."""


def release_warehouse() -> None:
    """Close dbt-duckdb's database, which it keeps open for the process after a command; the
    DuckDB file lock it holds would stop the gates and the dashboard from opening the
    warehouse read-only in this process."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        environment.close()
