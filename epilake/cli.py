"""The ``epilake`` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console

from epilake.spark_warmup import DEFAULT_WARM_UP_DAYS

# Wide enough for the run table when the output goes to a log rather than a terminal.
console = Console() if sys.stdout.isatty() else Console(width=160)


@click.group()
@click.version_option(package_name="epilake")
def main() -> None:
    """EpiLake: the lakehouse and analytics warehouse under a city's pandemic response."""


@main.command()
@click.option("--patients", type=click.IntRange(min=100), default=20_000, show_default=True)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default="2020-03-01", show_default=True)
@click.option("--days", type=click.IntRange(min=7), default=120, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--dirt",
    type=click.FloatRange(0, 0.2),
    default=0.01,
    show_default=True,
    help="Share of records given a realistic fault (0 gives clean feeds).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Landing folder to write the feeds into.",
)
def generate(patients: int, start, days: int, seed: int, dirt: float, out: Path) -> None:
    """Write a synthetic city's four feeds per FEEDS.md into a landing folder, plus ``_truth/``."""
    from epilake.generator import CityConfig, generate_city

    if out.exists() and any(p.name != "_truth" for p in out.iterdir()):
        raise click.UsageError(
            f"{out} already holds feeds; landed files are immutable. Choose an empty folder "
            "(or remove this one) to generate again."
        )
    config = CityConfig(patients=patients, start=start.date(), days=days, seed=seed, dirt=dirt)
    console.print(
        f"Generating {patients:,} residents over {days} days from {config.start} (seed {seed})"
    )
    summary = generate_city(out, config)
    lines = ", ".join(f"{feed} {count:,}" for feed, count in sorted(summary.lines.items()))
    console.print(
        f"[green]Generated[/] {summary.files} files ({lines} lines), {summary.faults} logged "
        f"faults, {summary.calibration['cases']:,} cases in {summary.seconds:.1f}s\n"
        f"  landing: {out}\n  truth:   {out / '_truth'}"
    )


@main.command()
@click.option(
    "--landing",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    required=True,
    help="Landing folder holding <feed>/<YYYY-MM-DD>/<batch files>.",
)
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    required=True,
    help="Output folder: lake, warehouse.duckdb, dashboards, reports.",
)
@click.option(
    "--steps-at-once",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Steps that may run at the same time (1: one after the other). Spark steps take "
    "turns whatever it is.",
)
def run(landing: Path, home: Path, steps_at_once: int) -> None:
    """Run the whole pipeline (the Dagster job ``epilake_pipeline``) over a landing folder."""
    os.environ["EPILAKE_LANDING"] = str(landing.resolve())
    os.environ["EPILAKE_HOME"] = str(home.resolve())
    from epilake.pipeline import run_pipeline

    report = run_pipeline(console=console, steps_at_once=steps_at_once)
    sys.exit(0 if report.success else 1)


@main.command()
@click.argument("query")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "parquet"]),
    default="table",
    show_default=True,
)
@click.option("--out", type=click.Path(path_type=Path), help="File for csv/parquet output.")
def sql(query: str, output_format: str, out: Path | None) -> None:
    """Run a read-only SQL query against warehouse.duckdb."""
    from epilake.warehouse import run_query

    run_query(query, output_format, out, console)


@main.group()
def dashboards() -> None:
    """The officials' dashboard (built by every run into <home>/dashboards)."""


@dashboards.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8050, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the built dashboard over HTTP until Ctrl-C."""
    from dashboards.serve import make_server
    from epilake.settings import get_settings

    folder = get_settings().dashboards_dir
    try:
        server = make_server(folder, host, port)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None
    console.print(f"Dashboard on http://{host}:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


@main.command()
@click.argument("name")
@click.option("--partner", required=True, help="Partner id: the extract is re-keyed for it.")
@click.option(
    "--as-of",
    "as_of",
    help="A date (2021-03-01), an ISO date-time, a Delta version of the extract's main "
    "silver table, or an earlier extract's manifest.json (its exact versions); default: the "
    "lake now.",
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write.")
@click.option("--k", type=click.IntRange(min=2), default=11, show_default=True)
def extract(name: str, partner: str, as_of: str | None, out: Path, k: int) -> None:
    """Write a de-identified training extract (ct_outcomes, home_monitoring_series,
    contacts_network) for one AI partner: Parquet, manifest.json, datasheet.md."""
    from epilake.extracts.asof import AsOfError
    from epilake.extracts.build import ExtractError, build_extract
    from epilake.settings import get_settings

    try:
        manifest = build_extract(
            get_settings(), name, partner, out, as_of=as_of, k=k, say=console.print
        )
    except (AsOfError, ExtractError) as error:
        raise click.ClickException(str(error)) from None
    k_report = manifest["k_anonymity"]
    console.print(
        f"[green]Extract written[/] {out}: {manifest['rows']:,} rows, "
        f"{manifest['patients']:,} patients, k-anonymity k={k_report['k']} "
        f"{'holds' if k_report['holds'] else 'FAILS'}"
    )


@main.group(name="spark-server")
def spark_server() -> None:
    """A long-running Spark Connect server, so daily runs skip the JVM start and warm-up.

    Runs use it when EPILAKE_SPARK_REMOTE names it (the start command prints the line).
    """


server_home = click.option(
    "--home", type=click.Path(path_type=Path), help="EpiLake home (the server's pid and log)."
)


def _server_settings(home: Path | None):
    from epilake.settings import get_settings

    if home is not None:
        os.environ["EPILAKE_HOME"] = str(home.resolve())
    return get_settings()


@spark_server.command(name="start")
@server_home
@click.option("--port", type=int, default=15002, show_default=True)
@click.option(
    "--warm-up-days",
    type=click.IntRange(min=0),
    default=DEFAULT_WARM_UP_DAYS,
    show_default=True,
    help="Days of a small synthetic city the new server loads before it is ready "
    "(its first days are its slowest); 0 for none.",
)
def spark_server_start(home: Path | None, port: int, warm_up_days: int) -> None:
    """Start the server (does nothing when it already runs)."""
    from epilake import spark_server as server

    def show(done) -> None:
        console.print(
            f"  warm-up delivery {done.delivery}: {done.records:,} records in {done.seconds} s"
        )

    try:
        with console.status("Starting the Spark server (and warming it up) ..."):
            state = server.start(_server_settings(home), port, warm_up_days, show)
    except server.SparkServerError as error:
        raise click.ClickException(str(error)) from None
    console.print(f"Spark Connect server running (pid {state.pid}). Runs use it with:")
    console.print(f"  export EPILAKE_SPARK_REMOTE={state.url}")


@spark_server.command(name="stop")
@server_home
def spark_server_stop(home: Path | None) -> None:
    """Stop the server."""
    from epilake import spark_server as server

    stopped = server.stop(_server_settings(home))
    console.print("Spark server stopped." if stopped else "No Spark server was running.")


@spark_server.command(name="status")
@server_home
def spark_server_status(home: Path | None) -> None:
    """Say whether the server runs, and where (exit code 1 when it does not)."""
    from epilake import spark_server as server

    state = server.state(_server_settings(home))
    if not state.running:
        console.print("No Spark server is running.")
        sys.exit(1)
    console.print(f"Spark server running (pid {state.pid}) at {state.url}")


if __name__ == "__main__":
    main()
