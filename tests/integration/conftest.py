"""Runs of the whole pipeline (real Spark, Delta, GX, dbt, Dagster) on generated feeds."""

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from epilake.pipeline import RunReport, run_pipeline
from epilake.settings import Settings, get_settings
from tests.conftest import TEST_SECRET


@dataclass
class PipelineRun:
    landing: Path
    home: Path
    settings: Settings
    report: RunReport
    output: str


def run_on(landing: Path, home: Path) -> PipelineRun:
    """Run the pipeline as ``epilake run --landing --home`` does, in this process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EPILAKE_LANDING", str(landing))
        patch.setenv("EPILAKE_HOME", str(home))
        patch.setenv("EPILAKE_PSEUDONYM_SECRET", TEST_SECRET)
        patch.setenv("EPILAKE_SPARK_MASTER", "local[2]")
        patch.setenv("EPILAKE_SPARK_SHUFFLE_PARTITIONS", "2")
        buffer = io.StringIO()
        report = run_pipeline(Console(file=buffer, width=200))
        return PipelineRun(landing, home, get_settings(), report, buffer.getvalue())
