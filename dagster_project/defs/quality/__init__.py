import dagster as dg

from dagster_project.defs.quality.checks import GATE_CHECKS
from dagster_project.defs.quality.docs import quality_docs

defs = dg.Definitions(assets=[quality_docs], asset_checks=GATE_CHECKS)
