import dagster as dg

from dagster_project.defs.lab import checks

defs = dg.Definitions(asset_checks=[checks.silver_lab_results_suite])
