"""Peak memory of a process tree (Python, its JVM, dbt children) sampled from ``/proc``.

``resource.getrusage`` only sees children that have exited and reports the largest single
one; the pipeline's memory is the sum of the Python process, the Spark JVM and the dbt
subprocess at the same moment, so it is sampled.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    found = []
    try:  # the process may exit while it is being read
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, now."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        pending += _children(current)
    return total


class TreeSampler:
    """Samples a process tree's RSS every ``interval`` seconds while in a ``with`` block."""

    def __init__(self, pid: int, interval: float = 0.2, also: tuple[int, ...] = ()) -> None:
        self.pid = pid
        self.also = also  # other trees the measured work runs in (a Spark server)
        self.interval = interval
        self.samples: list[tuple[float, int]] = []  # (time.time(), bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = sum(tree_rss_bytes(pid) for pid in (self.pid, *self.also))
            self.samples.append((time.time(), rss))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def peak_gib(self, start: float | None = None, end: float | None = None) -> float:
        """The highest sample in [start, end] (wall-clock seconds), in GiB."""
        inside = [
            rss
            for when, rss in self.samples
            if (start is None or when >= start) and (end is None or when <= end)
        ]
        return round(max(inside, default=0) / 2**30, 2)
