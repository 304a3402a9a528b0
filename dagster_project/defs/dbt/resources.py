"""The dbt project, built once per process in a cached function (not at import time)."""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
from collections.abc import Sequence
from functools import cache, cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, DbtProject
from dagster_dbt.asset_utils import (
    extract_runtime_selection_from_args,
    get_updated_cli_invocation_params_for_context,
)
from dagster_dbt.dbt_manifest import DbtManifestParam, validate_manifest
from dbt.version import __version__ as DBT_CORE_VERSION
from packaging import version

from dagster_project.defs.dbt.in_process import InProcessDbt
from epilake.settings import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt"


def dbt_executable() -> str:
    """dbt from this interpreter's environment, so an un-activated venv still finds it."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class EpiLakeDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without the start-up costs of every dbt step that buy this
    project nothing (about 10 s a step on this project's 2-core machine):

    - ``dbt --version`` in a subprocess, to learn the engine's version: the dbt this resource
      runs is dbt-core from this environment (:func:`dbt_executable`), so its version is the
      package's;
    - a dbt adapter opened in the Dagster process, used only to fetch row counts and column
      metadata after the build, which this project does not ask for;
    - a dbt subprocess: the command runs in this process (:mod:`.in_process`, decision 0028).
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(DBT_CORE_VERSION)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None

    def cli(
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: DbtManifestParam | None = None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context: dg.OpExecutionContext | dg.AssetExecutionContext | None = None,
        target_path: Path | None = None,
    ) -> DbtCliInvocation:
        """dagster-dbt's ``cli`` (same selection, target folder and events), run in-process.

        What the parent passes a child through the environment (``DBT_TARGET_PATH``,
        ``DBT_LOG_PATH``, ``DBT_PROFILES_DIR``, the indirect selection) is passed as flags:
        the environment is the whole process's, shared by the run's other steps.
        """
        translator = dagster_dbt_translator or DagsterDbtTranslator()
        manifest = validate_manifest(manifest) if manifest else {}
        cleaned_args, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest=manifest,
            dagster_dbt_translator=translator,
            runtime_selects=selects,
            runtime_excludes=excludes,
        )
        project_dir = Path(
            params.dbt_project.project_dir if params.dbt_project else self.project_dir
        )
        target_path = target_path or self._get_unique_target_path(context=context)
        if not target_path.is_absolute():
            target_path = project_dir / target_path
        _seed_partial_parse(project_dir, target_path)
        flags = ["--project-dir", str(project_dir), "--target-path", str(target_path)]
        flags += ["--log-path", str(target_path), "--quiet", "--no-send-anonymous-usage-stats"]
        if self.profiles_dir:
            flags += ["--profiles-dir", str(self.profiles_dir)]
        if self.profile:
            flags += ["--profile", self.profile]
        if self.target:
            flags += ["--target", self.target]
        if params.indirect_selection:
            flags += ["--indirect-selection", params.indirect_selection]
        command = [self.dbt_executable, *self.global_config_flags, *cleaned_args]
        command += [*flags, *params.selection_args]
        return DbtCliInvocation(
            process=InProcessDbt(command),  # type: ignore[arg-type]  # Popen's interface
            manifest=params.manifest,
            dagster_dbt_translator=params.dagster_dbt_translator,
            project_dir=project_dir,
            target_path=target_path,
            raise_on_error=raise_on_error,
            context=context,
            adapter=None,
            cli_version=self._cli_version,
            project=params.dbt_project,
        )


def _seed_partial_parse(project_dir: Path, target_path: Path) -> None:
    """A new target folder starts from the project's partial parse, as dagster-dbt's does."""
    seed = project_dir / "target" / "partial_parse.msgpack"
    destination = target_path / "partial_parse.msgpack"
    if seed.exists() and not destination.exists():
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(seed, destination)


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
