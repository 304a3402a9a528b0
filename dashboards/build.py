"""Build the officials' dashboard from the marts (the only I/O of ``dashboards``)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from dashboards.data import TestsDay, build_tests_view
from dashboards.render import render_page


def read_tests_daily(warehouse: Path) -> list[TestsDay]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select date, test_type, tests, positives, positivity_rolling_7d "
            "from marts.fct_tests_daily order by date, test_type"
        ).fetchall()
    return [TestsDay(*row) for row in rows]


def build_dashboard(warehouse: Path, out_dir: Path, run_id: str | None = None) -> Path:
    """Write ``index.html`` (self-contained) and ``data.json`` (the same suppressed data)."""
    view = build_tests_view(read_tests_daily(warehouse), run_id=run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "data.json").write_text(json.dumps(view, indent=1) + "\n")
    page = out_dir / "index.html"
    page.write_text(render_page(view), encoding="utf-8")
    return page
