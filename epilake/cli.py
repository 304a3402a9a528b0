"""The ``epilake`` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console

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
def run(landing: Path, home: Path) -> None:
    """Run the whole pipeline (the Dagster job ``epilake_pipeline``) over a landing folder."""
    os.environ["EPILAKE_LANDING"] = str(landing.resolve())
    os.environ["EPILAKE_HOME"] = str(home.resolve())
    from epilake.pipeline import run_pipeline

    report = run_pipeline(console=console)
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


if __name__ == "__main__":
    main()
