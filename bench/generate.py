"""Benchmark of ``epilake generate``: wall time, lines per second and peak memory.

    python -m bench.generate --patients 1000000 --days 365

The generator runs in a child process so that its peak memory (ru_maxrss) is its own.
Results are appended as JSON to ``bench/results/<date>-generate.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.common import append_result, machine

FLOOR_SECONDS = 300  # issue: 1,000,000 patients x 365 days in under 5 minutes ...
FLOOR_PEAK_GIB = 4.0  # ... with peak memory under 4 GiB

CHILD = """
import json, sys
from datetime import date
from pathlib import Path

from bench.common import append_result, machine
from epilake.generator import CityConfig, generate_city
args = json.loads(sys.argv[1])
summary = generate_city(Path(args["out"]), CityConfig(patients=args["patients"], days=args["days"],
                        seed=args["seed"], dirt=args["dirt"], start=date.fromisoformat(args["start"])))
print(json.dumps({"lines": summary.lines, "files": summary.files, "faults": summary.faults,
                  "calibration": summary.calibration}))
"""


def run(patients: int, days: int, seed: int, dirt: float, start: str, keep: Path | None) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        out = keep or Path(scratch) / "landing"
        args = {
            "out": str(out),
            "patients": patients,
            "days": days,
            "seed": seed,
            "dirt": dirt,
            "start": start,
        }
        began = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(args)],
            check=True,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - began
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        produced = json.loads(child.stdout.strip().splitlines()[-1])
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    lines = sum(produced["lines"].values())
    return {
        "benchmark": "generate",
        "date": date.today().isoformat(),
        "patients": patients,
        "days": days,
        "seed": seed,
        "dirt": dirt,
        "seconds": round(seconds, 1),
        "lines": lines,
        "lines_per_second": round(lines / seconds),
        "lines_by_feed": produced["lines"],
        "files": produced["files"],
        "bytes_on_disk": size,
        "peak_memory_gib": round(peak_kib / 2**20, 2),
        "calibration": produced["calibration"],
        "floors": {"seconds": FLOOR_SECONDS, "peak_memory_gib": FLOOR_PEAK_GIB},
        "meets_floors": seconds < FLOOR_SECONDS and peak_kib / 2**20 < FLOOR_PEAK_GIB,
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dirt", type=float, default=0.01)
    parser.add_argument("--start", default="2020-03-01")
    parser.add_argument("--keep", type=Path, help="write the feeds here instead of a temp folder")
    options = parser.parse_args()
    result = run(
        options.patients, options.days, options.seed, options.dirt, options.start, options.keep
    )
    append_result(result, "generate")
    print(
        json.dumps(
            {
                k: result[k]
                for k in (
                    "patients",
                    "days",
                    "seconds",
                    "lines",
                    "lines_per_second",
                    "peak_memory_gib",
                    "meets_floors",
                )
            }
        )
    )


if __name__ == "__main__":
    main()
