"""The officials' dashboard, rebuilt from the marts at the end of every run."""

import dagster as dg

from dagster_project.defs.resources import EpiLakeResource
from dashboards.build import build_dashboard


@dg.asset(
    key=["dashboards", "officials"],
    deps=[dg.AssetKey(["marts", "fct_tests_daily"])],
    group_name="serving",
    kinds={"html"},
)
def officials_dashboard(
    context: dg.AssetExecutionContext, epilake: EpiLakeResource
) -> dg.MaterializeResult:
    """Static page (no server, no CDN) with suppressed counts."""
    settings = epilake.settings()
    page = build_dashboard(settings.warehouse, settings.dashboards_dir, run_id=context.run.run_id)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(page))})
