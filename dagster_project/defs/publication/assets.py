"""Publication assets: after the gates, each model no failed gate holds back goes to the
served warehouse (``epilake.publication``); a held one keeps its last published version."""

import dagster as dg

from dagster_project.defs.dbt.assets import analyst_models, extract_models, warehouse_models
from dagster_project.defs.pipeline.executor import WAREHOUSE_TAG
from dagster_project.defs.publication.lineage import children
from dagster_project.defs.resources import EpiLakeResource
from epilake.publication import (
    HELD,
    PUBLISHED_SCHEMAS,
    GateFailure,
    gate_failures,
    held_back,
    publish,
)

NOT_REBUILT = "dbt did not rebuild it in this run (its dbt log says why)"


def relation(key: dg.AssetKey) -> str:
    """A dbt model's asset key as its relation: marts/fct_cases_daily -> marts.fct_cases_daily."""
    return ".".join(key.path)


def publication(name: str, built_by: list[dg.AssetsDefinition], **op_tags: str):
    keys = [key for models in built_by for key in models.keys]
    served = [key for key in keys if key.path[0] in PUBLISHED_SCHEMAS]

    @dg.asset(
        key=["published", name],
        deps=keys,
        group_name="serving",
        kinds={"duckdb"},
        op_tags={WAREHOUSE_TAG: "write", **op_tags},
        description=f"The {name.replace('_', ' ')} users read: copied from the build warehouse "
        "into the served one unless a failed gate holds them back.",
    )
    def publication_asset(
        context: dg.AssetExecutionContext, epilake: EpiLakeResource
    ) -> dg.MaterializeResult:
        settings = epilake.settings()
        run_id = context.run.run_id
        selection = context.run.asset_selection
        wanted = [key for key in served if selection is None or key in selection]
        failures = gate_failures(settings, run_id)
        for key in wanted:
            latest = context.instance.get_latest_materialization_event(key)
            if latest is None or latest.run_id != run_id:
                failures.append(GateFailure(key.to_user_string(), "dbt_build", NOT_REBUILT))
        reached = held_back(failures, children())
        holds = {relation(key): reached.get(key.to_user_string(), []) for key in wanted}
        holds = {r: f for r, f in holds.items() if f}
        statuses = publish(settings, [relation(key) for key in wanted], holds, settings.now.date())
        held = sorted(s.relation for s in statuses.values() if s.status == HELD)
        for status in statuses.values():
            if status.status == HELD:
                context.log.warning(
                    f"{status.relation} HELD BACK (served: its version of "
                    f"{status.published_at or 'never'}), since {status.held_since}: "
                    f"{status.gate}: {status.reason}"
                )
        return dg.MaterializeResult(
            metadata={
                "published": len(statuses) - len(held),
                "held_back": len(held),
                "held": dg.MetadataValue.md("\n".join(f"- {r}" for r in held) or "none"),
            }
        )

    return publication_asset


# The dashboard's marts first (the officials' page waits for them), the rest after it.
DASHBOARD_MARTS = publication("dashboard_marts", [warehouse_models])
ANALYST_MARTS = publication(
    "analyst_marts", [analyst_models, extract_models], **{"dagster/priority": "-1"}
)
PUBLICATIONS = [DASHBOARD_MARTS, ANALYST_MARTS]
