import dagster as dg

from dagster_project.defs.lab import assets, checks

defs = dg.Definitions(
    assets=[assets.lab_bronze, assets.lab_results],
    asset_checks=[
        checks.lab_batches_reconcile,
        checks.lab_no_conflicting_redelivery,
        checks.silver_lab_results_suite,
    ],
)
