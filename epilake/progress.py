"""Progress bars for long work (rich), quiet when output is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")


def _bar() -> Progress:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    return Progress(*columns, transient=True)


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on a terminal; plain iteration elsewhere (logs, CI)."""
    if not sys.stderr.isatty():
        yield from items
        return
    with _bar() as bar:
        yield from bar.track(items, total=total, description=description)


@contextmanager
def stages(total: int) -> Iterator[Callable[[str], None]]:
    """A bar over named stages: ``with stages(3) as step: step("reading") ...``.

    On a terminal the bar shows the stage now running; elsewhere each stage is one log line.
    """
    if not sys.stderr.isatty():
        yield lambda name: print(f"  - {name}", file=sys.stderr, flush=True)
        return
    with _bar() as bar:
        task = bar.add_task("starting", total=total)
        first = [True]

        def step(name: str) -> None:
            if not first[0]:
                bar.advance(task)
            first[0] = False
            bar.update(task, description=name)

        yield step
        bar.update(task, completed=total)
