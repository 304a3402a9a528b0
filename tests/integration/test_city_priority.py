"""The shared city's worker takes the CPU first: the processes it lowers are exactly the other
workers' and what they started."""

import os

from tests.integration.conftest import other_workers, yield_the_cpu_to_this_worker


def test_the_other_workers_are_the_siblings_and_their_descendants():
    # 1 the controller; 10 this worker; 11 and 12 the others; 20, 21 a JVM and its daemon
    # under 11; 30 a process elsewhere; 13 a child of this worker.
    parents = {1: 0, 10: 1, 11: 1, 12: 1, 13: 10, 20: 11, 21: 20, 30: 99}
    assert other_workers(parents, 10) == {11, 12, 20, 21}
    assert other_workers(parents, 30) == set()  # nobody shares its parent


def test_outside_pytest_xdist_nothing_changes(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    before = os.getpriority(os.PRIO_PROCESS, 0)
    assert yield_the_cpu_to_this_worker() == 0
    assert os.getpriority(os.PRIO_PROCESS, 0) == before
