"""Dagster entry point (``dagster dev`` loads this): merge the domains, nothing else."""

import dagster as dg

from dagster_project.defs import (
    automation,
    dashboards,
    dbt,
    extracts,
    feeds,
    pipeline,
    publication,
    quality,
)
from dagster_project.defs.resources import RESOURCES

defs = dg.Definitions.merge(
    feeds.defs,
    quality.defs,
    dbt.defs,
    publication.defs,
    dashboards.defs,
    extracts.defs,
    pipeline.defs,
    automation.defs,
    dg.Definitions(resources=RESOURCES),
)


def pipeline_job() -> dg.JobDefinition:
    """``epilake_pipeline`` resolved (``dg.reconstructable`` needs a module-level target)."""
    return defs.resolve_job_def("epilake_pipeline")
