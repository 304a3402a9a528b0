"""Whether the dbt docs site of a home is up to date, so a run can keep it.

What ``dbt docs generate`` writes depends only on the dbt project's files, the environment
variables they read, dbt's version and the warehouse's relations and columns (DuckDB's
catalogue has types and comments, no row counts). A run whose fingerprint of those equals
the one stored beside the site keeps the site: on most days nothing of it changes, and
regenerating it is a dbt start, a compile of every node and the catalogue queries (11 s a
run on the test city, 11-20 s at M).

``fingerprint`` is pure; the functions below it read files and the warehouse.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from importlib.metadata import version
from pathlib import Path

import duckdb

# The site's files, as dbt writes them: all three must be there for the site to be kept.
SITE_FILES = ("index.html", "manifest.json", "catalog.json")
FINGERPRINT_FILE = ".epilake-fingerprint"
PROJECT_SUFFIXES = frozenset({".sql", ".yml", ".yaml", ".csv", ".md"})
NOT_PROJECT_DIRS = frozenset({"target", "logs", "dbt_packages"})
ENV_VAR = re.compile(r"""env_var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")

# The warehouse's relations as the catalogue describes them: columns, types, comments.
CATALOG_QUERY = """
select schema_name, table_name, column_index, column_name, data_type, comment
from duckdb_columns() where database_name = current_database() and not internal
union all
select schema_name, table_name, null, null, null, comment
from duckdb_tables() where database_name = current_database() and not internal
union all
select schema_name, view_name, null, null, null, comment
from duckdb_views() where database_name = current_database() and not internal
order by all
"""


def fingerprint(
    files: Iterable[tuple[str, bytes]],
    env: Mapping[str, str],
    catalog_rows: Iterable[tuple],
    dbt_version: str,
) -> str:
    """One hash of everything the docs site is generated from (order of ``files`` ignored)."""
    digest = hashlib.sha256(f"dbt {dbt_version}\n".encode())
    for name, content in sorted(files):
        digest.update(f"file {name} {len(content)}\n".encode())
        digest.update(content)
    for name in sorted(env):
        digest.update(f"env {name}={env[name]}\n".encode())
    for row in catalog_rows:
        digest.update(f"relation {row!r}\n".encode())
    return digest.hexdigest()


def project_files(project_dir: Path) -> list[Path]:
    """The dbt project's own files (models, macros, seeds, tests, profiles), not its outputs
    nor hidden files (dbt's own ``.user.yml``, written by the first dbt command that runs)."""
    return sorted(
        path
        for path in project_dir.rglob("*")
        if path.is_file()
        and path.suffix in PROJECT_SUFFIXES
        and not NOT_PROJECT_DIRS & set(parts := path.relative_to(project_dir).parts)
        and not any(part.startswith(".") for part in parts)
    )


def env_read_by(contents: Iterable[bytes]) -> set[str]:
    """The environment variables the project's files read with ``env_var(...)``."""
    return {name for text in contents for name in ENV_VAR.findall(text.decode(errors="replace"))}


def warehouse_catalog(warehouse: Path) -> list[tuple]:
    """The warehouse's relations, columns and comments (read-only)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(CATALOG_QUERY).fetchall()


def docs_fingerprint(project_dir: Path, warehouse: Path, environ: Mapping[str, str]) -> str:
    """The fingerprint of the docs a ``dbt docs generate`` would write now."""
    files = [(str(p.relative_to(project_dir)), p.read_bytes()) for p in project_files(project_dir)]
    names = env_read_by(content for _, content in files)
    env = {name: environ[name] for name in names if name in environ}
    return fingerprint(files, env, warehouse_catalog(warehouse), version("dbt-core"))


def is_current(site: Path, value: str) -> bool:
    """Whether the site in ``site`` is complete and was generated from ``value``."""
    stored = site / FINGERPRINT_FILE
    return (
        all((site / name).is_file() for name in SITE_FILES)
        and stored.is_file()
        and stored.read_text().strip() == value
    )


def mark_current(site: Path, value: str) -> None:
    """Record that the site in ``site`` was generated from ``value``."""
    (site / FINGERPRINT_FILE).write_text(value + "\n")
