"""Dagster entry point (``dagster dev`` loads this): merge the domains, nothing else."""

import dagster as dg

from dagster_project.defs import dashboards, dbt, lab, pipeline
from dagster_project.defs.resources import RESOURCES

defs = dg.Definitions.merge(
    lab.defs,
    dbt.defs,
    dashboards.defs,
    pipeline.defs,
    dg.Definitions(resources=RESOURCES),
)
