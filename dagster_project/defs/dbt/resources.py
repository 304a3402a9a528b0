"""The dbt project, built once per process in a cached function (not at import time)."""

from __future__ import annotations

import shutil
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from epilake.settings import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt"


@cache
def dbt_project() -> DbtProject:
    """The dbt project; its manifest is parsed on first use if missing (``dbt parse``)."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    if not Path(project.manifest_path).exists():
        project.preparer.prepare(project)
    return project


def dbt_executable() -> str:
    """dbt from this interpreter's environment, so an un-activated venv still finds it."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())
