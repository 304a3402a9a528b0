"""AI partners' training extracts, written for the demo partner at the end of each run."""

import dagster as dg

from dagster_project.defs.pipeline.executor import WAREHOUSE_TAG
from dagster_project.defs.resources import EpiLakeResource
from epilake.extracts.build import build_extract
from epilake.extracts.specs import EXTRACTS
from epilake.publication import held_now

DEMO_PARTNER = "demo"


@dg.asset(
    key=["extracts", "demo_partner"],
    # The extract models as published (dagster_project/defs/publication/assets.py).
    deps=[dg.AssetKey(["published", "analyst_marts"])],
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
    held = held_now(settings.warehouse)
    for name, spec in EXTRACTS.items():
        hold = held.get(f"extracts.{spec.model}")
        if hold is not None:
            # Its last written version stays: partners keep what passed the gates.
            context.log.warning(f"{name} HELD BACK since {hold.held_since}: {hold.reason}")
            metadata[f"{name}_held_back"] = True
            continue
        out = settings.home / "extracts" / DEMO_PARTNER / name
        manifest = build_extract(
            settings, name, DEMO_PARTNER, out, from_warehouse=True, say=context.log.info
        )
        metadata[f"{name}_rows"] = manifest["rows"]
        metadata[f"{name}_k_anonymity_holds"] = manifest["k_anonymity"]["holds"]
    metadata["path"] = dg.MetadataValue.path(str(settings.home / "extracts" / DEMO_PARTNER))
    return dg.MaterializeResult(metadata=metadata)
