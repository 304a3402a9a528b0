"""Which delivery dates one run works on (a Dagster partition range, or everything)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from spark_jobs.common.landing import LandingFile

# Up to this many delivery days at once is a small (daily) delivery: a feed's tables load and
# promote side by side, each waiting more on Spark's per-job and Delta's per-commit latency
# than on the two cores. More (a first load, a long backfill) go fewer at a time, to bound
# the memory their writes hold.
SMALL_DELIVERY_DAYS = 7


@dataclass(frozen=True)
class DeliveryWindow:
    """Delivery dates ``first``..``last`` inclusive; an open end is unbounded."""

    first: date | None = None
    last: date | None = None

    def contains(self, delivery: date | None) -> bool:
        # A file whose folder is not a date belongs to no partition: every run takes it
        # (to quarantine it), so it is never left behind.
        if delivery is None:
            return True
        return (self.first is None or delivery >= self.first) and (
            self.last is None or delivery <= self.last
        )

    @property
    def is_small(self) -> bool:
        """At most ``SMALL_DELIVERY_DAYS`` delivery dates (an open end is never small)."""
        if self.first is None or self.last is None:
            return False
        return (self.last - self.first).days + 1 <= SMALL_DELIVERY_DAYS

    def select(self, files: Iterable[LandingFile]) -> list[LandingFile]:
        return [f for f in files if self.contains(f.delivery_date)]

    def __str__(self) -> str:
        if self.first is None and self.last is None:
            return "all deliveries"
        return f"deliveries {self.first or '...'} to {self.last or '...'}"


EVERYTHING = DeliveryWindow()
