"""Dagster entry point (``dagster dev`` loads this): merge the domains, nothing else."""

import dagster as dg

from dagster_project.defs import automation, dashboards, dbt, feeds, lab, pipeline
from dagster_project.defs.resources import RESOURCES

defs = dg.Definitions.merge(
    feeds.defs,
    lab.defs,
    dbt.defs,
    dashboards.defs,
    pipeline.defs,
    automation.defs,
    dg.Definitions(resources=RESOURCES),
)
