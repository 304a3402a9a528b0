import dagster as dg

from dagster_project.defs.quality.checks import GATE_CHECKS

defs = dg.Definitions(asset_checks=GATE_CHECKS)
