"""The quality gates' Data Docs: rendered once per run, after the dashboard."""

import sys
from pathlib import Path

import dagster as dg

from dagster_project.defs.dbt.assets import AFTER_THE_USERS
from dagster_project.defs.quality.gates import GATES
from dagster_project.defs.resources import EpiLakeResource
from epilake.settings import Settings


def data_docs_dir(settings: Settings) -> Path:
    return settings.reports_dir / "data_docs"


def render_pending_data_docs(folder: Path) -> int:
    """Render this process's validations not yet in the Data Docs at ``folder``; returns how
    many. Only a validation leaves pages pending, and validating loads the GX runner, so a
    run whose gates had nothing to check does not import GX (3-6 s) just to find none."""
    runner = sys.modules.get("expectations.runner")
    return runner.build_pending_data_docs(folder) if runner is not None else 0


@dg.asset(
    key=["reports", "data_docs"],
    # After the dashboard and after the gates that run after it (their marts' blocking checks
    # hold this step until they have validated), so the docs hold every gate of the run.
    deps=[dg.AssetKey(["dashboards", "officials"])]
    + [dg.AssetKey(list(gate.asset_key)) for gate in GATES if gate.after_the_dashboard],
    group_name="quality",
    op_tags=AFTER_THE_USERS,
)
def quality_docs(
    context: dg.AssetExecutionContext, epilake: EpiLakeResource
) -> dg.MaterializeResult:
    """Great Expectations Data Docs of this run's validations into ``<home>/reports/data_docs``.

    A failing suite's page is written the moment it fails; the passing ones wait for this
    step, so rendering them does not hold up the dashboard. Runs in the process of the gates
    (the threaded executor runs every step in the run's process): the validations are in
    its GX context.
    """
    folder = data_docs_dir(epilake.settings())
    rendered = render_pending_data_docs(folder)
    context.log.info(f"Data Docs: {rendered} validations rendered into {folder / 'index.html'}")
    return dg.MaterializeResult(
        metadata={
            "validations_rendered": rendered,
            "index": dg.MetadataValue.path(str(folder / "index.html")),
        }
    )
