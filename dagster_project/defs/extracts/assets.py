"""AI partners' training extracts, written for the demo partner at the end of each run."""

import dagster as dg

from dagster_project.defs.pipeline.executor import WAREHOUSE_TAG
from dagster_project.defs.resources import EpiLakeResource
from epilake.extracts.build import build_extract
from epilake.extracts.specs import EXTRACTS

DEMO_PARTNER = "demo"


@dg.asset(
    key=["extracts", "demo_partner"],
    deps=[dg.AssetKey(["extracts", spec.model]) for spec in EXTRACTS.values()],
    group_name="serving",
    kinds={"parquet"},
    # Partners pull extracts on their own schedule; the city's dashboard goes first.
    op_tags={"dagster/priority": "-1", WAREHOUSE_TAG: "read"},
)
def demo_partner_extracts(
    context: dg.AssetExecutionContext, epilake: EpiLakeResource
) -> dg.MaterializeResult:
    """Every extract for partner ``demo`` from this run's warehouse, into
    ``<home>/extracts/demo/<extract>/``. Real partners get theirs with ``epilake extract``."""
    settings = epilake.settings()
    metadata = {}
    for name in EXTRACTS:
        out = settings.home / "extracts" / DEMO_PARTNER / name
        manifest = build_extract(
            settings, name, DEMO_PARTNER, out, from_warehouse=True, say=context.log.info
        )
        metadata[f"{name}_rows"] = manifest["rows"]
        metadata[f"{name}_k_anonymity_holds"] = manifest["k_anonymity"]["holds"]
    metadata["path"] = dg.MetadataValue.path(str(settings.home / "extracts" / DEMO_PARTNER))
    return dg.MaterializeResult(metadata=metadata)
