"""``python -m bench.history``: a run over ten years of delivery dates against the same
files delivered within one month (issue #41: the window's length must not cost).

    python -m bench.history [--patients 300] [--days 12]

A small generated city is laid out twice: as generated (about a dozen delivery days in one
month), and with the e-records folders of its first days moved to dates spread over the ten
years before (a records feed sending history: the same files, now a window of ten years).
Each layout gets ``epilake run`` in a child process on a new home, timed end to end; the
result goes to ``bench/results/<date>-history.json``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from rich.console import Console

from bench.common import append_result, machine
from epilake.generator import CityConfig, generate_city

FIRST_OF_TEN_YEARS = date(2010, 1, 15)


def lay_out(city: Path, landing: Path, moved: dict[str, date]) -> None:
    """Copy ``city``'s delivery folders into ``landing``; the records folders of the days in
    ``moved`` go to their new date (a day's records folder moves alone: its resources keep
    their own dates, delivered years earlier as history is)."""
    for folder in sorted(city.glob("*/20*")):
        day = moved.get(folder.name) if folder.parent.name == "records" else None
        target = day.isoformat() if day else folder.name
        shutil.copytree(folder, landing / folder.parent.name / target)


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
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--days", type=int, default=12)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="bench-history-") as scratch:
        root = Path(scratch)
        config = CityConfig(patients=args.patients, days=args.days, seed=1, dirt=0.0)
        generate_city(root / "city", config)
        records_days = sorted(folder.name for folder in (root / "city" / "records").glob("20*"))
        history = records_days[: max(len(records_days) // 2, 1)]
        step = (date(2019, 12, 1) - FIRST_OF_TEN_YEARS) / max(len(history) - 1, 1)
        ten_years = {day: FIRST_OF_TEN_YEARS + step * n for n, day in enumerate(history)}
        seconds = {}
        for name, moved in (("one_month", {}), ("ten_years", ten_years)):
            lay_out(root / "city", root / name / "landing", moved)
            days = sorted({f.name for f in (root / name / "landing").glob("*/*")})
            console.print(f"{name}: {len(days)} delivery days, {days[0]} to {days[-1]} ...")
            seconds[name] = round(timed_run(root / name / "landing", root / name / "home"), 1)
            console.print(f"  epilake run: {seconds[name]} s")
    result = {
        "date": date.today().isoformat(),
        "patients": args.patients,
        "days": args.days,
        "records_days_moved_into_ten_years": len(history),
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
