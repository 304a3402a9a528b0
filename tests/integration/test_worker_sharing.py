"""How the suite's two workers share the machine: the shared city's worker takes the CPU first
(the processes it lowers are exactly the other workers' and what they started), and the
slowest units of work are handed out first."""

import os
from pathlib import Path

from tests.conftest import CITY_TESTS, FIRST_SCOPES, first_scope
from tests.integration.conftest import other_workers, yield_the_cpu_to_this_worker

REPO = Path(__file__).resolve().parents[2]


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


def test_the_slowest_units_of_work_are_handed_out_first():
    waiting = ["tests/epilake/test_cli.py", "tests/integration/test_gates.py", CITY_TESTS]
    assert first_scope(waiting) == CITY_TESTS
    assert first_scope(waiting[:2]) == "tests/integration/test_gates.py"
    assert first_scope(waiting[:1]) is None
    for scope in FIRST_SCOPES:  # a renamed module would silently lose its place
        assert (REPO / scope).exists(), scope
