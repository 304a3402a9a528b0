"""The Dagster definitions load, and the graph is wired the way the architecture says."""

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.definitions import defs
from dagster_project.defs.partitions import DELIVERY_DATES

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def repository():
    return defs.get_repository_def()


def test_definitions_resolve_with_the_pipeline_job(repository):
    job = defs.resolve_job_def("epilake_pipeline")
    assert job.executor_def.name == "epilake_threads"
    keys = {key.to_user_string() for key in repository.asset_graph.get_all_asset_keys()}
    for expected in [
        "bronze/lab/observations",
        "quarantine/lab",
        "silver/lab_results",
        "bronze/register/events",
        "silver/patients",
        "bronze/records/encounters",
        "quarantine/records",
        "silver/encounters",
        "silver/conditions",
        "silver/vital_signs",
        "silver/ct_reports",
        "silver/immunizations",
        "bronze/tracing/contacts",
        "silver/contacts",
        "staging/stg_lab__results",
        "intermediate/int_lab_results_filtered",
        "marts/fct_tests_daily",
        "marts/fct_tests_daily_city",
        "marts/fct_cases_daily",
        "marts/fct_hospital_daily",
        "marts/fct_tracing_daily",
        "marts/fct_tracing_by_setting",
        "marts/fct_immunity_daily",
        "marts/fct_home_monitoring_daily",
        "marts/dim_patients",
        "marts/fct_patient_journeys",
        "dashboards/officials",
    ]:
        assert expected in keys


@pytest.mark.parametrize(
    ("staging", "silver"),
    [
        ("stg_lab__results", "lab_results"),
        ("stg_records__encounters", "encounters"),
        ("stg_records__conditions", "conditions"),
        ("stg_records__vital_signs", "vital_signs"),
        ("stg_records__ct_reports", "ct_reports"),
        ("stg_records__immunizations", "immunizations"),
        ("stg_register__patients", "patients"),
        ("stg_tracing__contacts", "contacts"),
    ],
)
def test_each_dbt_source_connects_to_its_spark_silver_asset(repository, staging, silver):
    parents = repository.asset_graph.get(dg.AssetKey(["staging", staging])).parent_keys
    assert dg.AssetKey(["silver", silver]) in parents


def test_the_dashboard_waits_for_the_published_marts(repository):
    dashboard = repository.asset_graph.get(dg.AssetKey(["dashboards", "officials"]))
    published = dg.AssetKey(["published", "dashboard_marts"])
    assert dashboard.parent_keys == {published}
    publication = repository.asset_graph.get(published)
    assert dg.AssetKey(["marts", "fct_tests_daily_city"]) in publication.parent_keys
    # It waits for the marts' gates too: they are declared blocking (what a failed one holds
    # back is the publication's to decide, decision 0031).
    spec = repository.asset_graph.get_check_spec(
        dg.AssetCheckKey(
            dg.AssetKey(["marts", "fct_tests_daily_city"]), "marts__fct_tests_daily_city"
        )
    )
    assert spec.blocking


def test_the_partners_work_runs_after_the_dashboard(repository):
    """The extract models, the extracts and both docs sites are built in their own steps, which
    a run takes after the dashboard (lower priority), and the dashboard needs none of them."""
    job = defs.resolve_job_def("epilake_pipeline")
    priorities = {
        node.name: int(node.definition.tags.get("dagster/priority", 0)) for node in job.graph.nodes
    }
    assert priorities["dashboards__officials"] == 0
    assert priorities["extract_models"] < 0
    assert priorities["extracts__demo_partner"] < 0
    assert priorities["reports__dbt_docs"] < 0
    assert priorities["reports__data_docs"] < 0
    data_docs = repository.asset_graph.get(dg.AssetKey(["reports", "data_docs"]))
    assert dg.AssetKey(["dashboards", "officials"]) in data_docs.parent_keys
    upstream, todo = set(), [dg.AssetKey(["dashboards", "officials"])]
    while todo:
        parents = repository.asset_graph.get(todo.pop()).parent_keys - upstream
        upstream |= parents
        todo.extend(parents)
    assert dg.AssetKey(["marts", "fct_cases_daily"]) in upstream
    assert not {key for key in upstream if key.path[0] == "extracts"}
    published = repository.asset_graph.get(dg.AssetKey(["published", "analyst_marts"]))
    assert dg.AssetKey(["extracts", "extract_contacts_network"]) in published.parent_keys
    assert repository.asset_graph.get(dg.AssetKey(["extracts", "demo_partner"])).parent_keys == {
        published.key
    }


def _upstream_of(repository, key: dg.AssetKey) -> set[dg.AssetKey]:
    upstream, todo = set(), [key]
    while todo:
        parents = repository.asset_graph.get(todo.pop()).parent_keys - upstream
        upstream |= parents
        todo.extend(parents)
    return upstream


def test_the_dashboard_waits_only_for_the_marts_it_shows(repository):
    """The dashboard's dbt step builds what the dashboard's exposure needs; the analysts'
    marts build, and are gated, in steps a run takes after the dashboard."""
    from dagster_project.defs.dbt.resources import dbt_project
    from dagster_project.defs.quality.checks import GATE_CHECKS
    from dashboards.data import MARTS_SHOWN

    manifest = json.loads(Path(dbt_project().manifest_path).read_text())
    exposure = manifest["exposures"]["exposure.epilake.officials_dashboard"]
    assert {node.split(".")[-1] for node in exposure["depends_on"]["nodes"]} == set(MARTS_SHOWN)

    upstream = _upstream_of(repository, dg.AssetKey(["dashboards", "officials"]))
    marts = {key.path[1] for key in upstream if key.path[0] == "marts"}
    assert marts == set(MARTS_SHOWN)
    job = defs.resolve_job_def("epilake_pipeline")
    priorities = {
        node.name: int(node.definition.tags.get("dagster/priority", 0)) for node in job.graph.nodes
    }
    assert priorities["warehouse_models"] == priorities["marts_gates"] == 0
    assert priorities["analyst_models"] < 0
    assert priorities["analyst_marts_gates"] < 0
    checks = {
        key.asset_key.path[1]: step.node_def.name
        for step in GATE_CHECKS
        for key in step.check_keys
        if key.asset_key.path[0] == "marts"
    }
    assert checks["fct_cases_daily"] == "marts_gates"
    assert checks["dim_patients"] == checks["fct_patient_journeys"] == "analyst_marts_gates"


def test_quality_gates_are_blocking_checks(repository):
    checks = {
        (spec.asset_key.to_user_string(), spec.name): spec
        for spec in repository.asset_graph.asset_check_keys
        for spec in [repository.asset_graph.get_check_spec(spec)]
    }
    assert checks[("silver/lab_results", "silver__lab_results")].blocking
    assert checks[("bronze/lab/observations", "lab_batches_reconcile")].blocking
    assert not checks[("bronze/lab/observations", "lab_no_conflicting_redelivery")].blocking
    for feed, bronze in [
        ("register", "bronze/register/events"),
        ("records", "bronze/records/encounters"),
        ("tracing", "bronze/tracing/contacts"),
    ]:
        assert checks[(bronze, f"{feed}_batches_reconcile")].blocking
    dbt_checks = [name for key, name in checks if key == "marts/fct_tests_daily"]
    assert "assert_tests_daily_positives_not_above_tests" in dbt_checks


def test_dagster_cli_validates_the_definitions():
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "dagster_project.definitions"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_gate_checks_silver_so_dbt_waits_for_it(repository):
    # A dbt source test loaded as a check on silver would run inside the dbt step, which
    # would then no longer wait for the blocking gate (tests/integration/test_gates.py).
    on_silver = {
        key.name
        for key in repository.asset_graph.asset_check_keys
        if key.asset_key == dg.AssetKey(["silver", "lab_results"])
    }
    assert on_silver == {"silver__lab_results"}


def test_ingestion_assets_are_partitioned_by_delivery_date_and_silver_gates_wait_for_the_register(
    repository,
):
    graph = repository.asset_graph
    for key in [
        "bronze/lab/observations",
        "silver/lab_results",
        "silver/patients",
        "silver/contacts",
    ]:
        node = graph.get(dg.AssetKey(key.split("/")))
        assert node.partitions_def == DELIVERY_DATES, key
    patients = dg.AssetKey(["silver", "patients"])
    for table in ["lab_results", "encounters", "contacts"]:
        # The silver step does not read the register, so it runs beside the register's
        # (decision 0015); its gate matches rows to the register, so the gate waits for it.
        assert patients not in graph.get(dg.AssetKey(["silver", table])).parent_keys
        spec = graph.get_check_spec(
            dg.AssetCheckKey(dg.AssetKey(["silver", table]), f"silver__{table}")
        )
        assert [dep.asset_key for dep in spec.additional_deps] == [patients]
    job = defs.resolve_job_def("epilake_pipeline")
    upstream_of_gate = job.graph.dependency_structure.all_upstream_outputs_from_node(
        "lab_silver_gates"
    )
    assert "register_silver" in {output.node.name for output in upstream_of_gate}


def test_steps_say_what_they_share_so_the_threaded_executor_can_limit_them():
    from dagster_project.defs.pipeline.executor import SPARK_TAG, WAREHOUSE_TAG

    job = defs.resolve_job_def("epilake_pipeline")
    tagged = {
        tag: {node.name for node in job.graph.nodes if tag in node.definition.tags}
        for tag in (SPARK_TAG, WAREHOUSE_TAG)
    }
    assert tagged[SPARK_TAG] == {
        f"{feed}_{layer}"
        for feed in ("register", "lab", "records", "tracing")
        for layer in ("bronze", "silver")
    }
    assert tagged[WAREHOUSE_TAG] == {
        "warehouse_models",
        "analyst_models",
        "extract_models",
        "reports__dbt_docs",
        "marts_gates",
        "analyst_marts_gates",
        "dashboards__officials",
        "extracts__demo_partner",
        "published__dashboard_marts",
        "published__analyst_marts",
    }


def test_the_spark_steps_take_turns_bronze_first_and_the_quickest_gated_silver_last():
    """One Spark step runs at a time, so their priorities fix the order: every bronze before
    any silver, the records bronze (the longest gates) first, the register's silver first
    of silver (the other silver gates wait for it), tracing's silver (the quickest gates)
    last, and each ahead of the gates and dbt steps waiting beside it."""
    from dagster_project.defs.pipeline.executor import SPARK_TAG

    job = defs.resolve_job_def("epilake_pipeline")
    tags = {node.name: node.definition.tags for node in job.graph.nodes}
    priority = {name: int(t.get("dagster/priority", 0)) for name, t in tags.items()}
    spark_steps = [name for name, t in tags.items() if SPARK_TAG in t]
    order = sorted(spark_steps, key=priority.__getitem__, reverse=True)
    assert len({priority[name] for name in spark_steps}) == len(spark_steps)
    assert [name.rsplit("_", 1)[1] for name in order] == ["bronze"] * 4 + ["silver"] * 4
    assert order[0] == "records_bronze"
    assert order[4] == "register_silver"
    assert order[-1] == "tracing_silver"
    others = [priority[name] for name in tags if name not in spark_steps]
    assert min(priority[name] for name in spark_steps) > max(others)


def test_the_data_docs_wait_for_the_gates_that_run_after_the_dashboard(repository):
    data_docs = repository.asset_graph.get(dg.AssetKey(["reports", "data_docs"]))
    assert dg.AssetKey(["marts", "dim_patients"]) in data_docs.parent_keys


def test_automation_and_maintenance_are_defined():
    assert defs.resolve_sensor_def("landing_sensor")
    assert defs.resolve_schedule_def("morning_run").cron_schedule == "0 6 * * *"
    maintenance = defs.resolve_job_def("lake_maintenance")
    assert maintenance
    pipeline_keys = defs.resolve_job_def("epilake_pipeline").asset_layer.executable_asset_keys
    assert dg.AssetKey(["ops", "table_maintenance"]) not in pipeline_keys


def test_the_dbt_resource_knows_the_dbt_version_without_running_dbt():
    """The resource skips dagster-dbt's ``dbt --version`` subprocess and its in-process adapter:
    the version it reports must still be the one the dbt executable prints."""
    from dagster_project.defs.dbt.resources import dbt_executable, dbt_resource

    resource = dbt_resource()
    printed = subprocess.run(
        [dbt_executable(), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert f"installed: {resource._cli_version}" in printed
    assert resource._initialize_dbt_core_adapter(["build"]) is None
