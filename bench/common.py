"""What every benchmark does the same way: the machine, the results file, the held-back day."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from epilake.spark_server import ServerState
from epilake.spark_warmup import DEFAULT_WARM_UP_DAYS, WarmUpRound

RESULTS = Path(__file__).resolve().parent / "results"
SERVER_PORT = 15077


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor()
    return next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), "")


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def append_result(result: dict, name: str) -> Path:
    """Append ``result`` to ``bench/results/<date>-<name>.json`` (a JSON list)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / f"{result['date']}-{name}.json"
    history = json.loads(target.read_text()) if target.exists() else []
    history.append(result)
    target.write_text(json.dumps(history, indent=2) + "\n")
    return target


def hold_back(landing: Path, held: Path, day: date) -> None:
    """Move every feed's delivery folder of ``day`` out of the landing zone."""
    for folder in landing.glob(f"*/{day.isoformat()}"):
        target = held / folder.parent.name / folder.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(folder, target)


def warm_up_figures(rounds: list[WarmUpRound]) -> dict:
    """The server's warm-up as a bench result records it."""
    return {
        "days": len(rounds),
        "seconds": round(sum(each.seconds for each in rounds), 1),
        "round_seconds": [each.seconds for each in rounds],
        "records": sum(each.records for each in rounds),
    }


def give_back(held: Path, landing: Path) -> None:
    for folder in held.glob("*/*"):
        shutil.move(folder, landing / folder.parent.name / folder.name)


@contextlib.contextmanager
def spark_server(
    work: Path, enabled: bool, warm_up: list[WarmUpRound] | None = None
) -> Iterator[ServerState | None]:
    """A Spark Connect server for a bench's runs (``--spark server``), stopped after. It
    starts as ``epilake spark-server start`` starts it, warm-up included; the warm-up's
    rounds are appended to ``warm_up``."""
    if not enabled:
        yield None
        return
    from epilake import spark_server as server
    from epilake.settings import get_settings

    settings = dataclasses.replace(get_settings(), home=work / "spark-server")
    rounds = warm_up if warm_up is not None else []
    try:
        yield server.start(settings, SERVER_PORT, DEFAULT_WARM_UP_DAYS, rounds.append)
    finally:
        server.stop(settings)
