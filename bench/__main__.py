"""``python -m bench``: the pipeline benchmark at scales S, M (measured) and L (projected).

    python -m bench --scale S [--scale M] [--scale L] [--landing DIR] [--keep DIR]

See ``bench/pipeline.py`` for what is measured and ``bench/README.md`` for the figures.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import pipeline, plot
from bench.common import RESULTS, append_result, machine


def _newest(scale: str) -> dict | None:
    newest = None
    for path in sorted(RESULTS.glob(f"*-{scale}.json")):
        newest = json.loads(path.read_text())[-1]
    return newest


def _show(result: dict, console: Console) -> None:
    table = Table(
        title=f"scale {result['scale']}" + (" (projected)" if result.get("projected") else "")
    )
    for column in ("stage", "seconds", "records/s", "peak GiB"):
        table.add_column(column, justify="right")
    for stage, figures in result["stages"].items():
        table.add_row(
            stage,
            str(figures["seconds"]),
            str(figures.get("records_per_second") or ""),
            str(figures.get("peak_memory_gib") or ""),
        )
    console.print(table)
    summary = {k: v for k, v in result.items() if k not in ("stages", "machine")}
    console.print_json(json.dumps(summary, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="append", choices=sorted(pipeline.SCALES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--landing", type=Path, help="reuse these feeds (days + 1)")
    parser.add_argument("--keep", type=Path, help="keep feeds, lake and logs here")
    parser.add_argument(
        "--spark",
        choices=["embedded", "server"],
        default="embedded",
        help="embedded: each run starts its own Spark; server: after the (embedded) full run, "
        "a long-running Spark Connect server serves two more days, the second measured (and "
        "run embedded on a copy, for comparison)",
    )
    args = parser.parse_args()
    console = Console()
    for name in args.scale or ["S"]:
        scale = pipeline.SCALES[name]
        if scale.run:
            result = pipeline.bench_scale(
                scale, args.seed, args.landing, args.keep, console, args.spark
            )
        else:
            small, medium = _newest("S"), _newest("M")
            if not (small and medium):
                raise SystemExit(f"{name} is projected from S and M: run those scales first.")
            result = pipeline.project(small, medium, scale)
        result["date"] = date.today().isoformat()
        result["machine"] = machine()
        result["floors"] = pipeline.FLOORS
        result["meets"] = pipeline.judge(result, _newest("S") if name == "M" else None)
        console.print(f"results appended to {append_result(result, name)}")
        _show(result, console)
    console.print(f"plot: {plot.draw(plot.newest_results(), RESULTS / 'scales.svg')}")


if __name__ == "__main__":
    main()
