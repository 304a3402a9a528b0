"""The benchmark's plain DuckDB baseline computes the same two marts as the pipeline.

If it did not, the ratio pipeline / baseline in ``bench/README.md`` would compare different
work. Runs on the session's generated city (with dirt), before later tests add deliveries.
"""

import duckdb
import pytest

from bench import baseline

MARTS = ("fct_cases_daily", "fct_tests_daily")


@pytest.fixture(scope="module")
def computed(city):
    connection = duckdb.connect()
    summary = baseline.compute(city.landing, connection)
    yield connection, summary
    connection.close()


@pytest.mark.parametrize("mart", MARTS)
def test_the_baseline_equals_the_mart_row_for_row(city, computed, mart):
    connection, _ = computed
    with duckdb.connect(str(city.settings.warehouse), read_only=True) as warehouse:
        expected = warehouse.execute(f"select * from marts.{mart} order by all").fetchall()
    got = connection.execute(f"select * from {mart} order by all").fetchall()
    assert len(got) == len(expected)
    differing = [(a, b) for a, b in zip(got, expected, strict=True) if a != b]
    assert not differing, f"{len(differing)} rows differ, first: {differing[:3]}"


def test_the_baseline_leaves_out_the_broken_gzip_and_counts_real_cases(computed):
    connection, summary = computed
    assert any("lab" in path for path in summary["skipped_files"])
    assert connection.execute("select sum(new_cases) from fct_cases_daily").fetchone()[0] > 50
