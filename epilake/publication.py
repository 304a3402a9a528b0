"""What users read: the marts a run publishes, and the ones a failed gate holds back.

dbt builds every model into the private build warehouse (``Settings.build_warehouse``) and
the gates check them there. Publication then copies into the served warehouse
(``Settings.warehouse``) each mart and extract model that no failed gate reaches; a mart a
failed gate reaches keeps its last published version, and ``publication.mart_status`` says
since when and why. The served file is written whole beside the old one and renamed over it,
so a reader never sees a half-written or partly updated mart, and a reader's open connection
never stops a run (the rename leaves the old file to it).

A failed gate reaches the table it checks and everything built from it: the hold's blast
radius is one table and its descendants (``held_back``), never a feed or a layer.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from epilake.settings import Settings

# Schemas users read; staging and intermediate models stay in the build warehouse.
PUBLISHED_SCHEMAS = ("marts", "extracts")
REFERENCE_SCHEMA = "reference"  # the seeds (okrugs, age bands): published with every run
STATUS_TABLE = "publication.mart_status"
GATE_FAILURES_TABLE = ("ops", "gate_failures")
PUBLISHED, HELD = "published", "held"
# How a failed gate's check result begins in Dagster (reported as a warning: a failed gate
# holds back through the publication, it does not make Dagster skip steps).
HOLDS_BACK = "HOLDS BACK"

GATE_FAILURE_SCHEMA = pa.schema(
    [
        pa.field("failed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("asset", pa.string(), nullable=False),  # the checked table, e.g. silver/encounters
        pa.field("gate", pa.string(), nullable=False),  # the check's name
        pa.field("reason", pa.string(), nullable=False),  # the gate's own message
    ]
)


@dataclass(frozen=True)
class GateFailure:
    asset: str
    gate: str
    reason: str

    def describe(self) -> str:
        return f"{self.asset}:{self.gate}: {self.reason}"


@dataclass(frozen=True)
class MartStatus:
    relation: str  # schema.name in the served warehouse
    status: str  # PUBLISHED or HELD
    held_since: date | None  # the first run date of an unbroken run of holds
    gate: str | None  # the failed gates that hold it back, as asset:gate
    reason: str | None  # their messages
    published_at: datetime | None  # when its served version was published (None: never)


# ---------------------------------------------------------------- the gates' verdicts


_APPENDS = threading.Lock()  # gate steps on several threads append to the one table


def record_gate_failures(settings: Settings, run_id: str, failures: Iterable[GateFailure]) -> None:
    """Append failed blocking gates to ``ops/gate_failures`` (the publication reads them)."""
    rows = [
        {
            "failed_at": datetime.now(UTC),
            "run_id": run_id,
            "asset": f.asset,
            "gate": f.gate,
            "reason": f.reason,
        }
        for f in failures
    ]
    if not rows:
        return
    from deltalake import write_deltalake

    with _APPENDS:
        write_deltalake(
            settings.table_path(*GATE_FAILURES_TABLE),
            pa.Table.from_pylist(rows, schema=GATE_FAILURE_SCHEMA),
            mode="append",
        )


def gate_failures(settings: Settings, run_id: str) -> list[GateFailure]:
    """The failed blocking gates of one run."""
    path = Path(settings.table_path(*GATE_FAILURES_TABLE))
    if not (path / "_delta_log").is_dir():
        return []
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

    rows = (
        DeltaTable(str(path))
        .to_pyarrow_dataset()
        .to_table(filter=ds.field("run_id") == run_id, columns=["asset", "gate", "reason"])
        .to_pylist()
    )
    return sorted({GateFailure(**row) for row in rows}, key=lambda f: (f.asset, f.gate))


# ---------------------------------------------------------------- the blast radius (pure)


def held_back(
    failures: Iterable[GateFailure], children: Mapping[str, Iterable[str]]
) -> dict[str, list[GateFailure]]:
    """Every asset a failure reaches (the failed asset, its children, theirs ...), with the
    failures that reach it. ``children``: asset -> the assets built from it."""
    reached: dict[str, list[GateFailure]] = {}
    for failure in failures:
        stack, seen = [failure.asset], set()
        while stack:
            asset = stack.pop()
            if asset in seen:
                continue
            seen.add(asset)
            reached.setdefault(asset, []).append(failure)
            stack.extend(children.get(asset, ()))
    return reached


# ---------------------------------------------------------------- the served warehouse


def _statuses(connection: duckdb.DuckDBPyConnection) -> dict[str, MartStatus]:
    exists = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'publication' and table_name = 'mart_status'"
    ).fetchone()[0]
    if not exists:
        return {}
    rows = connection.execute(
        f"select relation, status, held_since, gate, reason, published_at from {STATUS_TABLE}"
    ).fetchall()
    return {row[0]: MartStatus(*row) for row in rows}


def read_statuses(warehouse: Path) -> dict[str, MartStatus]:
    """``publication.mart_status`` of a served warehouse ({} before the first publication)."""
    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return _statuses(connection)


def _relations(connection: duckdb.DuckDBPyConnection, database: str, schemas: Iterable[str]):
    wanted = ", ".join(f"'{s}'" for s in schemas)
    return [
        f"{schema}.{name}"
        for schema, name in connection.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_catalog = '{database}' and table_schema in ({wanted}) "
            "order by all"
        ).fetchall()
    ]


def _remove(path: Path) -> None:
    for file in (path, path.with_name(path.name + ".wal")):
        file.unlink(missing_ok=True)


def publish(
    settings: Settings,
    relations: Iterable[str],
    holds: Mapping[str, list[GateFailure]],
    run_date: date,
) -> dict[str, MartStatus]:
    """Copy ``relations`` (``schema.name``) from the build warehouse into the served one,
    except those in ``holds``, which keep their served version; return their statuses."""
    served, build = settings.warehouse, settings.build_warehouse
    draft = served.with_name(f".{served.name}.publishing")
    _remove(draft)
    if served.exists():
        shutil.copyfile(served, draft)
    now = datetime.now(UTC)
    written: dict[str, MartStatus] = {}
    with duckdb.connect(str(draft)) as connection:
        previous = _statuses(connection)
        connection.execute(f"attach '{build}' as build (read_only)")
        connection.execute("create schema if not exists publication")
        built = set(_relations(connection, "build", (*PUBLISHED_SCHEMAS, REFERENCE_SCHEMA)))
        seeds = [r for r in built if r.startswith(REFERENCE_SCHEMA + ".")]
        for relation in [*seeds, *relations]:
            schema = relation.split(".")[0]
            before = previous.get(relation)
            failures = holds.get(relation, [])
            if not failures and relation not in built:
                failures = [GateFailure(relation, "built", "dbt did not build it in this run")]
            if failures:
                written[relation] = MartStatus(
                    relation,
                    HELD,
                    before.held_since if before and before.status == HELD else run_date,
                    "; ".join(f"{f.asset}:{f.gate}" for f in failures),
                    "; ".join(f.reason for f in failures),
                    before.published_at if before else None,
                )
                continue
            connection.execute(f"create schema if not exists {schema}")
            connection.execute(f"create or replace table {relation} as from build.{relation}")
            if schema != REFERENCE_SCHEMA:
                written[relation] = MartStatus(relation, PUBLISHED, None, None, None, now)
        connection.execute("detach build")
        connection.execute(
            f"create table if not exists {STATUS_TABLE} (relation varchar primary key, "
            "status varchar not null, held_since date, gate varchar, reason varchar, "
            "published_at timestamptz)"
        )
        for status in written.values():
            connection.execute(
                f"insert or replace into {STATUS_TABLE} values (?, ?, ?, ?, ?, ?)",
                [
                    status.relation,
                    status.status,
                    status.held_since,
                    status.gate,
                    status.reason,
                    status.published_at,
                ],
            )
        connection.execute("checkpoint")
    os.replace(draft, served)
    _remove(draft)
    return written


def held_now(warehouse: Path) -> dict[str, MartStatus]:
    """The served warehouse's held relations."""
    return {r: s for r, s in read_statuses(warehouse).items() if s.status == HELD}
