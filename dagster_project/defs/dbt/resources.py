"""The dbt project, built once per process in a cached function (not at import time)."""

from __future__ import annotations

import os
import shutil
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from epilake.settings import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt"


def dbt_executable() -> str:
    """dbt from this interpreter's environment, so an un-activated venv still finds it."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def _manifest_is_stale(manifest: Path) -> bool:
    """Missing, or older than a model, test, macro, seed or project file it was parsed from."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = (
        path
        for folder in ("models", "tests", "macros", "seeds")
        for path in (DBT_PROJECT_DIR / folder).rglob("*")
        if path.suffix in {".sql", ".yml", ".csv"}
    )
    return any(
        path.stat().st_mtime > built for path in (DBT_PROJECT_DIR / "dbt_project.yml", *sources)
    )


@cache
def dbt_project() -> DbtProject:
    """The dbt project, with its manifest parsed when missing or under ``dagster dev``.

    dagster-dbt's own preparer looks for ``dbt`` on PATH, which an un-activated virtual
    environment lacks, so the parse runs here with :func:`dbt_executable`.
    """
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if os.environ.get("DAGSTER_IS_DEV_CLI") or _manifest_is_stale(Path(project.manifest_path)):
        resource = DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
        resource.cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())
