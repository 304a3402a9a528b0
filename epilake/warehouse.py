"""Analysts' access to warehouse.duckdb (read-only)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from epilake.duckdb_delta import connect
from epilake.settings import get_settings


def run_query(query: str, output_format: str, out: Path | None, console: Console) -> None:
    """Print a query's result as a table, or write it as CSV/Parquet."""
    warehouse = get_settings().warehouse
    if not warehouse.exists():
        raise SystemExit(
            f"No warehouse at {warehouse}: run `epilake run` first (or set EPILAKE_HOME)."
        )
    with connect(warehouse, read_only=True) as connection:
        relation = connection.sql(query)
        if output_format == "table":
            table = Table(*relation.columns)
            for row in relation.fetchall():
                table.add_row(*("" if v is None else str(v) for v in row))
            console.print(table)
            return
        if out is None:
            raise SystemExit(f"--format {output_format} needs --out <file>.")
        if output_format == "csv":
            relation.write_csv(str(out))
        else:
            relation.write_parquet(str(out))
        console.print(f"wrote {out}")
