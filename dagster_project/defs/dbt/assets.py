"""dbt models as Dagster assets; dbt tests as asset checks."""

import os
import shutil
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from dagster_project.defs.dbt import docs_state
from dagster_project.defs.dbt.resources import DBT_PROJECT_DIR, dbt_project
from dagster_project.defs.pipeline.executor import WAREHOUSE_TAG
from dagster_project.defs.resources import EpiLakeResource
from epilake.publication import HOLDS_BACK, GateFailure, record_gate_failures
from epilake.settings import Settings


class EpiLakeDbtTranslator(DagsterDbtTranslator):
    """The one place dbt keys are made: ``[<layer folder>, <model>]``, e.g. marts/fct_tests_daily.

    Sources keep the key in their ``meta.dagster.asset_key`` (the silver tables).
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        layer = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else "models"
        return dg.AssetKey([layer, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "warehouse"


# dbt source tests are deliberately absent: silver is gated by the blocking GX suite, and a
# source test loaded as a check would place a check on silver inside the dbt step, which
# then no longer waits for that blocking gate.
TRANSLATOR = EpiLakeDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


# The officials' dashboard waits only for the models upstream of its dbt exposure. The marts
# it does not show (analysts' marts: patient journeys, the patient dimension, tracing by
# setting) and the partners' training extract models build in their own steps after it.
DASHBOARD_MODELS = "+exposure:officials_dashboard"
# dbt writes the warehouse file: one step at a time may open it (the threaded executor).
WRITES_THE_WAREHOUSE = {WAREHOUSE_TAG: "write"}
EXTRACT_MODELS = "path:models/extracts"


def _dbt_build(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings, target: str
) -> Iterator:
    """``dbt build`` of the asset's selection; results written under dbt_target/<target>.

    A failed dbt test is a failed gate: recorded in ``ops/gate_failures`` so the publication
    holds back its model and what is built from it, and reported to Dagster as a warning.
    The project's data tests warn (dbt_project.yml), so dbt builds on after one; a model
    that fails to build is not materialised, and the publication holds it back.
    """
    os.environ.update(settings.export_env())  # dbt's profile reads the paths from EPILAKE_*
    settings.build_warehouse.parent.mkdir(parents=True, exist_ok=True)
    target_path = settings.home / "dbt_target" / target
    # dbt's unit tests check the SQL, not the data: the test suite runs them, a run need not.
    command = ["build", "--exclude-resource-type", "unit_test"]
    failures = []
    invocation = dbt.cli(command, context=context, target_path=target_path, raise_on_error=False)
    for event in invocation.stream():
        if isinstance(event, dg.AssetCheckResult) and not event.passed:
            reason = event.description or f"dbt test {event.check_name} failed"
            failures.append(GateFailure(event.asset_key.to_user_string(), event.check_name, reason))
            event = dg.AssetCheckResult(
                asset_key=event.asset_key,
                check_name=event.check_name,
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"{HOLDS_BACK} what is built from this model: {reason}",
                metadata={**event.metadata, "holds_back": True},
            )
        yield event
    record_gate_failures(settings, context.run.run_id, failures)
    if not invocation.is_successful():
        context.log.warning(
            "dbt build reported errors (above); the models it did not build keep their last "
            "published version."
        )


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=TRANSLATOR,
    select=DASHBOARD_MODELS,
    op_tags=WRITES_THE_WAREHOUSE,
)
def warehouse_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, epilake: EpiLakeResource
):
    """``dbt build`` of the staging, intermediate and mart models the dashboard reads."""
    yield from _dbt_build(context, dbt, epilake.settings(), "build")


# After the dashboard, before the partners' work and the catalogues.
AFTER_THE_DASHBOARD = {"dagster/priority": "-1", **WRITES_THE_WAREHOUSE}


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=TRANSLATOR,
    exclude=f"{DASHBOARD_MODELS} {EXTRACT_MODELS}",
    name="analyst_models",
    op_tags=AFTER_THE_DASHBOARD,
)
def analyst_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, epilake: EpiLakeResource
):
    """``dbt build`` of the marts the dashboard does not show (after the dashboard)."""
    yield from _dbt_build(context, dbt, epilake.settings(), "build_analysts")


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=TRANSLATOR,
    select=EXTRACT_MODELS,
    name="extract_models",
    op_tags=AFTER_THE_DASHBOARD,
)
def extract_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, epilake: EpiLakeResource
):
    """``dbt build`` of the de-identified training extract models (after the dashboard)."""
    yield from _dbt_build(context, dbt, epilake.settings(), "build_extracts")


# After the dashboards and extracts in a run: nobody waits on the catalogue.
AFTER_THE_USERS = {"dagster/priority": "-2"}


@dg.asset(
    key=["reports", "dbt_docs"],
    deps=[warehouse_models, analyst_models],
    group_name="warehouse",
    kinds={"dbt"},
    op_tags={**AFTER_THE_USERS, **WRITES_THE_WAREHOUSE},
)
def warehouse_docs(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, epilake: EpiLakeResource
) -> dg.MaterializeResult:
    """The dbt docs site (models, columns, lineage, the warehouse's catalogue) into
    ``<home>/reports/dbt_docs``; kept as it is when nothing it is generated from changed
    (``docs_state``)."""
    settings = epilake.settings()
    os.environ.update(settings.export_env())
    out = settings.reports_dir / "dbt_docs"
    index = dg.MetadataValue.path(str(out / "index.html"))
    wanted = docs_state.docs_fingerprint(DBT_PROJECT_DIR, settings.build_warehouse, os.environ)
    if docs_state.is_current(out, wanted):
        context.log.info(
            f"dbt docs in {out} are up to date: the dbt project, its settings and the "
            "warehouse's relations and columns are those they were generated from."
        )
        return dg.MaterializeResult(
            metadata={"generated": False, "up_to_date": True, "index": index}
        )
    target = settings.home / "dbt_target" / "docs"
    docs = dbt.cli(["docs", "generate"], target_path=target, raise_on_error=False)
    docs.wait()
    if not docs.is_successful():
        # The marts and dashboards are already served; a missing catalogue is a warning.
        context.log.warning("dbt docs generate failed; see the dbt log above. Marts are built.")
        return dg.MaterializeResult(metadata={"generated": False, "up_to_date": False})
    out.mkdir(parents=True, exist_ok=True)
    for name in docs_state.SITE_FILES:
        shutil.copy2(target / name, out / name)
    docs_state.mark_current(out, wanted)
    context.log.info(f"dbt docs written to {out / 'index.html'}")
    return dg.MaterializeResult(metadata={"generated": True, "up_to_date": True, "index": index})
