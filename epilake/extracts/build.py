"""Build one extract for one partner: pinned rows -> de-identified Parquet, manifest, datasheet.

The I/O of ``epilake.extracts``; the steps themselves are pure (``deidentify``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from epilake.duckdb_delta import connect
from epilake.extracts.asof import parse_as_of, pin_versions
from epilake.extracts.audit import record_extract
from epilake.extracts.datasheet import render_datasheet
from epilake.extracts.deidentify import (
    SPLITS,
    assign_split,
    k_anonymise,
    partner_secret,
    rekey,
)
from epilake.extracts.specs import DEFAULT_K, EXTRACTS, ExtractSpec
from epilake.publication import held_now
from epilake.settings import PINNED_VERSIONS_ENV, Settings

PARTNER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
Say = Callable[[str], None]


class ExtractError(RuntimeError):
    """An extract that cannot be built; the message says what to do."""


def spec_of(name: str) -> ExtractSpec:
    if name not in EXTRACTS:
        raise ExtractError(f"No extract {name!r}; choose one of {', '.join(sorted(EXTRACTS))}.")
    return EXTRACTS[name]


def definition_hash(spec: ExtractSpec, k: int, dbt_project: Path) -> str:
    """sha256 of what defines the rows: the model's SQL, its YAML, and the de-identification."""
    folder = dbt_project / "models" / "extracts"
    parts = [
        (folder / f"{spec.model}.sql").read_text(),
        (folder / "_extracts__models.yml").read_text(),
        json.dumps({"quasi_identifiers": spec.quasi_identifiers, "k": k, "splits": SPLITS}),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def pinned_rows(settings: Settings, spec: ExtractSpec, versions: dict[str, int]) -> pl.DataFrame:
    """Run the extract's dbt model (and what it needs) on the pinned silver versions, in a
    scratch DuckDB file, and return its rows.

    The versions reach dbt's sources as an environment variable, not a dbt var: dbt parses
    the whole project again when its vars change, but when an environment variable changes
    only the files that read it (a second extract at the same versions parses nothing).
    The scratch file and dbt's target folder sit at a fixed place in the home
    (``dbt_target/extract``), so dbt's partial parse carries from one extract to the next;
    a lock there keeps two extracts of one home from sharing them at once.
    """
    from dagster_project.defs.dbt.resources import dbt_executable

    project = settings.dbt_project_dir
    scratch = settings.home / "dbt_target" / "extract"
    scratch.mkdir(parents=True, exist_ok=True)
    warehouse = scratch / "extract.duckdb"
    with open(scratch / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _remove_database(warehouse)
        env = os.environ | settings.export_env()
        env |= {
            "EPILAKE_BUILD_WAREHOUSE": str(warehouse),
            PINNED_VERSIONS_ENV: json.dumps(versions, sort_keys=True),
        }
        command = [
            dbt_executable(),
            "run",
            "--select",
            f"+{spec.model}",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(scratch),
            "--log-path",
            str(scratch),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=project)
        try:
            if done.returncode != 0:
                raise ExtractError(f"dbt could not build {spec.model}:\n{done.stdout[-2000:]}")
            with connect(warehouse, read_only=True) as connection:
                return connection.sql(f"select * from extracts.{spec.model}").pl()
        finally:
            _remove_database(warehouse)  # the upstream models' copies: as big as the marts


def _remove_database(path: Path) -> None:
    for file in (path, path.with_name(path.name + ".wal")):
        file.unlink(missing_ok=True)


def warehouse_rows(settings: Settings, spec: ExtractSpec) -> pl.DataFrame:
    """The extract's rows as the last ``dbt build`` left them in the warehouse."""
    with connect(settings.warehouse, read_only=True) as connection:
        return connection.sql(f"select * from extracts.{spec.model}").pl()


def _portable(table: pa.Table) -> pa.Table:
    """Plain Arrow types every reader knows (string, not large_string or string_view)."""
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    return table.cast(pa.schema(fields)).replace_schema_metadata(None)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_splits(frame: pl.DataFrame, data_dir: Path) -> list[dict]:
    """One Parquet file per split in a Hive layout (``split=train/part-0.parquet``)."""
    files = []
    for split, _ in SPLITS:
        rows = frame.filter(pl.col("split") == split).drop("split")
        path = data_dir / f"split={split}" / "part-0.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = _portable(rows.to_arrow(compat_level=pl.CompatLevel.oldest()))
        pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)
        files.append(
            {
                "path": path.relative_to(data_dir.parent).as_posix(),
                "split": split,
                "rows": rows.height,
                "sha256": _sha256(path),
            }
        )
    return files


def build_extract(
    settings: Settings,
    name: str,
    partner: str,
    out: Path,
    as_of: str | None = None,
    k: int = DEFAULT_K,
    from_warehouse: bool = False,
    say: Say = print,
) -> dict:
    """Write ``<out>/data/split=*/part-0.parquet``, ``manifest.json`` and ``datasheet.md``.

    ``from_warehouse`` takes the rows the pipeline's ``dbt build`` just made (the silver
    tables are then at their current versions); otherwise dbt runs on pinned versions.
    """
    spec = spec_of(name)
    if not PARTNER_ID.match(partner):
        raise ExtractError(f"Partner id {partner!r}: use 1-64 letters, digits, '-' or '_'.")
    if k < 2:
        raise ExtractError("k must be at least 2 for k-anonymity to mean anything.")
    held = held_now(settings.warehouse).get(f"extracts.{spec.model}")
    if held is not None:
        raise ExtractError(
            f"{name} is held back since {held.held_since}: a quality gate failed on data it is "
            f"built from ({held.gate}: {held.reason}). Ask the platform's operators; it is "
            "released by the first run whose gates pass."
        )
    silver = Path(settings.table_path("silver"))
    versions = pin_versions(
        silver,
        spec.silver_tables,
        spec.primary_table,
        None if from_warehouse else parse_as_of(as_of),
    )
    say(f"{name}: silver pinned at versions {versions}")
    rows = (
        warehouse_rows(settings, spec) if from_warehouse else pinned_rows(settings, spec, versions)
    )
    say(f"{name}: {rows.height:,} rows from dbt model {spec.model}; de-identifying for {partner}")
    keyed = rekey(
        rows,
        (spec.person_column, *spec.other_key_columns),
        partner_secret(settings.extract_secret, partner),
    )
    anonymous, report = k_anonymise(keyed, spec.quasi_identifiers, spec.person_column, k)
    final = assign_split(anonymous, spec.person_column).sort(list(spec.order_by))
    out.mkdir(parents=True, exist_ok=True)
    files = write_splits(final, out / "data")
    manifest = {
        "extract": name,
        "partner": partner,
        "as_of": as_of,
        "definition_sha256": definition_hash(spec, k, settings.dbt_project_dir),
        "dbt_model": spec.model,
        "source_versions": {f"silver/{t}": v for t, v in sorted(versions.items())},
        "rows": final.height,
        "patients": final[spec.person_column].n_unique(),
        "columns": [
            {"name": field.name, "type": str(field.type)}
            for field in pq.read_schema(out / files[0]["path"])
        ],
        "files": files,
        "k_anonymity": report.as_dict() | {"rows_before": keyed.height},
        "splits": {
            split: {
                "rows": final.filter(pl.col("split") == split).height,
                "patients": final.filter(pl.col("split") == split)[spec.person_column].n_unique(),
            }
            for split, _ in SPLITS
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (out / "datasheet.md").write_text(render_datasheet(spec, manifest, settings.dbt_project_dir))
    content = hashlib.sha256("".join(f["sha256"] for f in files).encode()).hexdigest()
    record_extract(
        settings,
        partner=partner,
        extract=name,
        as_of=as_of,
        versions=versions,
        rows=final.height,
        content_sha256=content,
        extracted_at=datetime.now(settings.now.tzinfo),
    )
    say(
        f"{name}: wrote {final.height:,} rows for {partner} to {out} "
        f"(k={k}: {report.rows_generalised} generalised, {report.rows_dropped} dropped)"
    )
    return manifest
