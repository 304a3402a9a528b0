"""``python -m bench.history``: a run over ten years of delivery dates against the same
files delivered within one month (issue #41: the window's length must not cost).

    python -m bench.history [--patients 10] [--deliveries 12]

A tiny generated city's delivery days are laid out twice: on consecutive days (the month)
and spread over ten years (the same files, each day's folders moved together to a date
about ten months after the previous one). Each layout gets ``epilake run`` in a child
process on a new home, timed end to end; the result goes to
``bench/results/<date>-history.json``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from bench.common import append_result, machine
from epilake.generator import CityConfig, generate_city

FIRST_OF_TEN_YEARS = date(2010, 1, 15)


def lay_out(city: Path, landing: Path, dates: list[date]) -> None:
    """Copy ``city``'s delivery days, in order, to ``dates`` (every feed's folder of a day
    goes to the same new date)."""
    days = sorted({folder.name for folder in city.glob("*/20*")})
    for day, new in zip(days, dates, strict=True):
        for folder in city.glob(f"*/{day}"):
            shutil.copytree(folder, landing / folder.parent.name / new.isoformat())


def timed_run(landing: Path, home: Path) -> float:
    epilake = Path(sys.executable).parent / "epilake"
    began = time.perf_counter()
    done = subprocess.run(
        [str(epilake), "run", "--landing", str(landing), "--home", str(home)],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"epilake run failed on {landing}:\n{done.stdout[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10)
    parser.add_argument("--deliveries", type=int, default=12)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="bench-history-") as scratch:
        root = Path(scratch)
        config = CityConfig(patients=args.patients, days=args.deliveries, seed=1, dirt=0.0)
        generate_city(root / "city", config)
        count = len({folder.name for folder in (root / "city").glob("*/20*")})
        month = [config.start + timedelta(days=n) for n in range(count)]
        step = (date(2020, 1, 1) - FIRST_OF_TEN_YEARS) / max(count - 1, 1)
        years = [FIRST_OF_TEN_YEARS + step * n for n in range(count)]
        seconds = {}
        for name, dates in (("one_month", month), ("ten_years", years)):
            lay_out(root / "city", root / name / "landing", dates)
            console.print(f"{name}: {count} delivery days, {dates[0]} to {dates[-1]} ...")
            seconds[name] = round(timed_run(root / name / "landing", root / name / "home"), 1)
            console.print(f"  epilake run: {seconds[name]} s")
    result = {
        "date": date.today().isoformat(),
        "patients": args.patients,
        "delivery_days": count,
        "seconds": seconds,
        "ten_years_over_one_month": round(seconds["ten_years"] / seconds["one_month"], 2),
        "machine": machine(),
    }
    path = append_result(result, "history")
    console.print(
        f"ten years / one month = {result['ten_years_over_one_month']} x; written to {path}"
    )


if __name__ == "__main__":
    main()
