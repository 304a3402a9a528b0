"""The officials' dashboard, rebuilt from the marts at the end of every run."""

import dagster as dg

from dagster_project.defs.pipeline.executor import WAREHOUSE_TAG
from dagster_project.defs.resources import EpiLakeResource
from dashboards.build import build_dashboard


@dg.asset(
    key=["dashboards", "officials"],
    # The marts it shows as published (dagster_project/defs/publication/assets.py).
    deps=[dg.AssetKey(["published", "dashboard_marts"])],
    group_name="serving",
    kinds={"html"},
    op_tags={WAREHOUSE_TAG: "read"},
)
def officials_dashboard(
    context: dg.AssetExecutionContext, epilake: EpiLakeResource
) -> dg.MaterializeResult:
    """Static page (no server, no CDN): headline tiles, epidemic curve, okrugs, age bands,
    hospitals, tracing, immunity and home monitoring, with suppressed counts."""
    settings = epilake.settings()
    page = build_dashboard(settings.warehouse, settings.dashboards_dir, run_id=context.run.run_id)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(page))})
