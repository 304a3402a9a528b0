"""``epilake run``: execute the Dagster job ``epilake_pipeline`` and report what happened.

Runs are recorded in a Dagster instance under ``<home>/dagster``, so the same runs show in
the UI: ``DAGSTER_HOME=<home>/dagster dagster dev``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from epilake.publication import HELD, HOLDS_BACK, read_statuses
from epilake.settings import LOCAL_TIMEZONE, Settings, get_settings


@dataclass
class RunReport:
    success: bool
    run_id: str
    seconds: float
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)  # relations served at this run's version
    held: list[str] = field(default_factory=list)  # relations at an older published version


def _prepare_environment(settings: Settings) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    from epilake.dagster_storage import ensure_dagster_yaml

    ensure_dagster_yaml(settings.dagster_home)
    os.environ.update(settings.export_env())
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)


def _metadata_value(value) -> str:
    return str(getattr(value, "value", getattr(value, "text", getattr(value, "path", value))))


class NothingToRun(Exception):
    """The landing zone has no delivery the job can take; the message says what to do."""


def run_window(settings: Settings) -> tuple[date, date, list[str], list[date]]:
    """The delivery dates one run covers: from the oldest delivery with work left (a file
    not loaded yet, or loaded but not promoted after an interrupted run) to the newest
    landing folder up to today. With no work left, the newest day alone: the run then
    rebuilds the marts and the dashboard. Also the notes for the report, and every delivery
    date up to the last (the partitions the run needs).

    Only delivery dates with files are partitions, so a run over years of deliveries records
    one partition per delivery date, not one per calendar day.
    """
    from epilake.landing_status import delivery_dates, new_landing_files, unpromoted_dates

    dates = delivery_dates(settings)
    if not dates:
        raise NothingToRun(
            f"No delivery folders under {settings.landing}. Generate a city with "
            "`epilake generate --out <dir>` or set EPILAKE_LANDING to the landing zone."
        )
    today = settings.now.astimezone(ZoneInfo(LOCAL_TIMEZONE)).date()
    notes = []
    if dates[-1] > today:
        notes.append(
            f"delivery folders after {today} are dated in the future; they are left for "
            "the run of their day"
        )
    due = [d for d in dates if d <= today]
    if not due:
        raise NothingToRun(f"Every delivery under {settings.landing} is dated after {today}.")
    new = new_landing_files(settings)
    pending = {f.delivery_date for f in new if f.delivery_date} | unpromoted_dates(settings)
    pending = {d for d in pending if d <= today}
    first = min(pending, default=due[-1])
    return first, due[-1], notes, due


def _report_publication(settings: Settings, report: RunReport, console: Console) -> None:
    """What users can read now: the published marts and those held back, since when, why."""
    statuses = read_statuses(settings.warehouse)
    if not statuses:
        return
    published = sorted(r for r, s in statuses.items() if s.status != HELD)
    held = [s for s in statuses.values() if s.status == HELD]
    report.published = published
    report.held = sorted(s.relation for s in held)
    console.print(f"[green]Published[/] ({len(published)}): {', '.join(published)}")
    if held:
        console.print(f"[red]Held back[/] ({len(held)}), each at its last published version:")
    for status in sorted(held, key=lambda s: s.relation):
        served = status.published_at.date() if status.published_at else "never published"
        console.print(
            f"  - {status.relation} (served: {served}; held since {status.held_since}): "
            f"{status.gate}"
        )
        report.failures.append(f"{status.relation} held back by {status.gate}")


def _selected_keys(job, leave_out: Collection[str]) -> list | None:
    """The job's asset keys without those under the ``leave_out`` prefixes (None: all)."""
    if not leave_out:
        return None
    prefixes = tuple(p.strip("/") for p in leave_out)
    return [
        key
        for key in job.asset_layer.executable_asset_keys
        if not any(
            key.to_user_string() == p or key.to_user_string().startswith(p + "/") for p in prefixes
        )
    ]


def run_pipeline(
    console: Console | None = None, steps_at_once: int = 3, leave_out: Collection[str] = ()
) -> RunReport:
    """Run the whole pipeline in this process; never raises for a failed stage or gate.

    ``steps_at_once``: steps that may run at the same time on the run's threads (1: one
    after the other); of them, Spark steps: two for a daily delivery, one for a longer window
    (decisions 0015, 0024).
    ``leave_out``: assets this run does not build, as key prefixes (``"extracts"``,
    ``"marts/dim_patients"``); it builds and gates everything else.
    """
    import dagster as dg

    console = console or Console()
    settings = get_settings()
    _prepare_environment(settings)
    console.print(f"[bold]EpiLake run[/]  landing={settings.landing}  home={settings.home}")
    from epilake.spark import start_in_background

    try:
        first, last, notes, due = run_window(settings)
    except NothingToRun as problem:
        console.print(f"[red]Nothing to run:[/] {problem}")
        return RunReport(success=False, run_id="", seconds=0.0, failures=[str(problem)])
    console.print(f"Deliveries {first} to {last} (one run over those daily partitions)")
    began = time.perf_counter()
    # The JVM starts while the Dagster definitions import (6 s on 2 cores) and Dagster plans
    # the run. Great Expectations (another 6 s) loads with the first gate that has rows.
    start_in_background(settings)
    from dagster_project.definitions import pipeline_job
    from dagster_project.defs.partitions import add_delivery_dates, range_tags
    from dagster_project.defs.pipeline.executor import spark_steps_for, threaded_run_config
    from dagster_project.defs.quality.docs import data_docs_dir, render_pending_data_docs
    from spark_jobs.common.window import DeliveryWindow

    run_config = {
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
        **threaded_run_config(
            max_concurrent=steps_at_once, spark_steps=spark_steps_for(DeliveryWindow(first, last))
        ),
    }
    with dg.DagsterInstance.get() as instance:
        add_delivery_dates(instance, due)
        with dg.execute_job(
            dg.reconstructable(pipeline_job),
            instance,
            run_config=run_config,
            tags=range_tags(first, last),
            raise_on_error=False,
            asset_selection=_selected_keys(pipeline_job(), leave_out),
        ) as result:
            success, run_id, events = result.success, result.run_id, result.all_events
    # A gate that blocked skipped the Data Docs step: render what validated anyway.
    render_pending_data_docs(data_docs_dir(settings))
    seconds = time.perf_counter() - began
    report = RunReport(success=success, run_id=run_id, seconds=seconds)
    report.warnings.extend(notes)

    table = Table(title=f"Run {run_id[:8]} ({seconds:.0f}s)")
    for column in ("asset / check", "result", "figures"):
        table.add_column(column)
    reported: set[str] = set()
    for event in events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            # A run over many daily partitions materializes each partition: report once.
            if mat.asset_key.to_user_string() in reported:
                continue
            reported.add(mat.asset_key.to_user_string())
            figures = ", ".join(
                f"{k}={_metadata_value(v)}"
                for k, v in mat.metadata.items()
                if k not in ("path", "dagster_dbt/select", "unique_id")
                and not k.startswith("dagster")
            )
            table.add_row(mat.asset_key.to_user_string(), "[green]materialized", figures[:110])
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            if evaluation.passed:
                table.add_row(name, "[green]passed", "")
                continue
            detail = evaluation.description or ", ".join(
                f"{k}={_metadata_value(v)}" for k, v in evaluation.metadata.items()
            )
            blocking = evaluation.severity.value == "ERROR" or detail.startswith(HOLDS_BACK)
            table.add_row(name, "[red]FAILED" if blocking else "[yellow]warning", detail[:110])
            (report.failures if blocking else report.warnings).append(f"{name}: {detail}")
        elif event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            message = error.message.strip().splitlines()[0] if error else "unknown error"
            report.failures.append(f"step {event.step_key} failed: {message}")
            table.add_row(event.step_key, "[red]STEP FAILED", message[:110])
        elif event.event_type_value == "STEP_SKIPPED":
            table.add_row(event.step_key, "[yellow]skipped", "upstream failed or was blocked")
    console.print(table)
    _report_publication(settings, report, console)

    report.outputs = {
        "lake (Delta tables)": str(settings.lake),
        "warehouse (DuckDB, schema marts)": str(settings.warehouse),
        "dashboard (open in a browser)": str(settings.dashboards_dir / "index.html"),
        "dbt docs (catalogue)": str(settings.reports_dir / "dbt_docs" / "index.html"),
        "quality gates' Data Docs": str(data_docs_dir(settings) / "index.html"),
        "rejected landing files": str(settings.rejected_dir),
        "Dagster UI": f"DAGSTER_HOME={settings.dagster_home} dagster dev",
    }
    for label, where in report.outputs.items():
        exists = where.startswith("DAGSTER_HOME") or Path(where).exists()
        console.print(f"  {label:34} {where}" + ("" if exists else "  [dim](not written)"))
    if report.warnings:
        console.print("[yellow]Warnings:[/]")
        for warning in report.warnings:
            console.print(f"  - {warning}")
    if report.success and not report.failures:
        console.print(f"[green]Pipeline succeeded[/] in {seconds:.0f}s.")
    else:
        report.success = False
        console.print("[red]Pipeline failed:[/]")
        for failure in report.failures or ["see the Dagster run log"]:
            console.print(f"  - {failure}")
        console.print(
            "Fix the data or code named above, then run again; loaded batches are not reloaded, "
            "and the first run whose gates pass publishes what was held back. "
            f"Full log: DAGSTER_HOME={settings.dagster_home} dagster dev, run {run_id}."
        )
    return report
