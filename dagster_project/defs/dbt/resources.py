"""The dbt project, built once per process in a cached function (not at import time)."""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
from collections.abc import Sequence
from functools import cache, cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dbt.version import __version__ as DBT_CORE_VERSION
from packaging import version

from epilake.settings import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt"


def dbt_executable() -> str:
    """dbt from this interpreter's environment, so an un-activated venv still finds it."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class EpiLakeDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two start-up costs of every dbt step (about 4.5 s each
    on this project's 2-core machine) that buy this project nothing:

    - ``dbt --version`` in a subprocess, to learn the engine's version: the dbt this resource
      runs is dbt-core from this environment (:func:`dbt_executable`), so its version is the
      package's;
    - a dbt adapter opened in the Dagster process, used only to fetch row counts and column
      metadata after the build, which this project does not ask for.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(DBT_CORE_VERSION)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


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
    manifest = Path(project.manifest_path)
    if not (os.environ.get("DAGSTER_IS_DEV_CLI") or _manifest_is_stale(manifest)):
        return project
    # Processes that start together (`dagster dev` and a run, the test suite's workers) would
    # otherwise parse into the same target folder at once: one parses, the others wait for it.
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.environ.get("DAGSTER_IS_DEV_CLI") or _manifest_is_stale(manifest):
            resource = EpiLakeDbtCliResource(project_dir=project, dbt_executable=dbt_executable())
            resource.cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project


def dbt_resource() -> DbtCliResource:
    return EpiLakeDbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())
