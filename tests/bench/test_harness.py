"""The benchmark harness's own logic: stage mapping, projection, floors, plot, memory."""

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from bench import pipeline, plot
from bench.monitor import TreeSampler, tree_rss_bytes


@pytest.mark.parametrize(
    ("step", "stage"),
    [
        ("lab_bronze", "bronze"),
        ("records_silver", "silver"),
        ("warehouse_models", "dbt"),
        ("analyst_models", "dbt"),
        ("reports__dbt_docs", "dbt"),
        ("reports__data_docs", "gates"),
        ("dashboards__officials", "dashboards"),
        ("published__dashboard_marts", "publication"),
        ("published__analyst_marts", "publication"),
        ("extracts__demo_partner", "extracts"),
        ("extract_models", "extracts"),
        ("register_silver_gates", "gates"),
        ("records_bronze_gates", "gates"),
        ("marts_gates", "gates"),
        ("analyst_marts_gates", "gates"),
        ("lab_batches", "gates"),
    ],
)
def test_every_step_of_the_job_lands_in_its_stage(step, stage):
    assert pipeline.stage_of(step) == stage


def _result(scale, records, seconds, baseline, stage_seconds):
    return {
        "scale": scale,
        "date": "2026-11-26",
        "patients": pipeline.SCALES[scale].patients,
        "days": pipeline.SCALES[scale].days,
        "stages": {"bronze": {"seconds": stage_seconds, "peak_memory_gib": 1.0}},
        "full_run": {"seconds": seconds, "records": records},
        "baseline": {"seconds": baseline, "peak_memory_gib": 0.5},
        "cost_ms_per_record": 1000 * seconds / records,
    }


def test_a_stage_counts_overlapping_steps_once():
    assert pipeline.covered_seconds([(0, 10), (5, 12), (20, 21), (20.5, 20.7)]) == 13
    assert pipeline.covered_seconds([]) == 0


def test_l_is_projected_as_a_fixed_cost_plus_a_cost_per_record():
    small = _result("S", 1_000, 110.0, 1.0, 20.0)
    medium = _result("M", 101_000, 210.0, 11.0, 120.0)
    large = pipeline.project(small, medium, pipeline.SCALES["L"])
    factor = (12_700_000 * 730) / (1_000_000 * 365)
    assert large["projected"] is True
    assert large["full_run"]["records"] == round(101_000 * factor)
    # 100 s fixed + 1 ms per record, fitted exactly through S and M
    assert large["full_run"]["seconds"] == pytest.approx(
        110 + (large["full_run"]["records"] - 1_000) / 1000, abs=0.1
    )
    assert large["stages"]["bronze"]["seconds"] == pytest.approx(
        20 + (large["full_run"]["records"] - 1_000) / 1000, abs=0.1
    )


def test_the_floors_judge_m_against_s():
    small = _result("S", 1_000, 100.0, 1.0, 20.0)
    medium = _result("M", 1_000_000, 1_000.0, 50.0, 500.0)
    medium["incremental_day"] = {"landing_to_dashboard_seconds": 75.0}
    medium["peak_memory_gib"] = 6.0
    verdict = pipeline.judge(medium, small)
    assert verdict["full_run_under_30_min"] is True
    assert verdict["cost_per_record_within_1_2x"] is True
    assert verdict["incremental_day_under_60_s"] is False
    assert verdict["peak_memory_under_12_gib"] is True


def test_the_plot_is_an_svg_with_a_point_per_stage_and_scale(tmp_path):
    results = [
        _result("S", 1_000, 110.0, 1.0, 20.0),
        _result("M", 101_000, 210.0, 11.0, 120.0),
    ]
    results.append(pipeline.project(*results, pipeline.SCALES["L"]))
    target = plot.draw(results, tmp_path / "scales.svg")
    root = ET.fromstring(target.read_text())
    circles = root.findall(".//{http://www.w3.org/2000/svg}circle")
    # time: bronze and baseline at three scales; memory: bronze and baseline at two
    assert len(circles) == 3 * 2 + 2 * 2


def test_the_sampler_sees_this_process_memory():
    assert tree_rss_bytes(os.getpid()) > 10 * 2**20
    with TreeSampler(os.getpid(), interval=0.01) as sampler:
        [bytearray(1) for _ in range(10_000)]
    assert sampler.peak_gib() > 0


def test_the_sampler_adds_the_trees_the_work_runs_in(tmp_path):
    """With a Spark server, the server's memory counts with the run's.

    The run is a quiet child, not this worker: the worker's own tree (a Spark
    JVM another test started) changes its size while the two samplers run.
    """
    run = subprocess.Popen([sys.executable, "-c", "input()"], stdin=subprocess.PIPE)
    other = subprocess.Popen(
        [sys.executable, "-c", "x = b'x' * (300 * 2**20); input()"], stdin=subprocess.PIPE
    )
    try:
        while tree_rss_bytes(other.pid) < 300 * 2**20:
            time.sleep(0.05)
        with TreeSampler(run.pid, interval=0.01) as alone:
            time.sleep(0.05)
        with TreeSampler(run.pid, interval=0.01, also=(other.pid,)) as both:
            time.sleep(0.05)
    finally:
        for process in (run, other):
            process.kill()
            process.wait()
    assert alone.peak_gib() < 0.2
    assert both.peak_gib() - alone.peak_gib() >= 0.25


def _landing_with_days(root, days):
    for feed in ("lab", "register"):
        for day in days:
            (root / feed / day).mkdir(parents=True)
            (root / feed / day / "batch.csv").write_text(day)


@pytest.mark.parametrize("served", [False, True])
def test_ingest_bench_loads_the_year_then_each_held_day_and_restores_the_landing(
    tmp_path, monkeypatch, served
):
    """Which delivery days each ingest run sees (the Spark runs themselves are the bench's)."""
    from datetime import date

    from bench import ingest

    landing = tmp_path / "landing"
    days = ["2020-03-01", "2020-03-02", "2020-03-03", "2020-03-04"]
    _landing_with_days(landing, days)
    seen = []

    def fake_child(landing_dir, home, server=None):
        home.mkdir(parents=True, exist_ok=True)
        visible = sorted(p.name for p in (landing_dir / "lab").iterdir())
        seen.append((visible[-1], len(visible), server is not None, home.name))
        return {"stages": [], "seconds": 1.0, "peak_kib": 0}

    monkeypatch.setattr(ingest, "_run_child", fake_child)
    monkeypatch.setattr(ingest, "spark_server", _fake_server)
    runs = ingest._load_days(landing, tmp_path / "work", date(2020, 3, 4), served)

    if served:
        assert list(runs) == [
            "full",
            "server_warm_up",
            "first_day_on_server",
            "incremental_day",
            "incremental_day_embedded",
        ]
        assert seen == [
            ("2020-03-02", 2, False, "home"),
            ("2020-03-03", 3, True, "home"),
            ("2020-03-04", 4, True, "home"),
            ("2020-03-04", 4, False, "home-embedded"),
        ]
        assert runs["server_warm_up"] == {
            "days": 2,
            "seconds": 40.0,
            "round_seconds": [30.5, 9.5],
            "records": 2140,
        }
    else:
        assert list(runs) == ["full", "incremental_day"]
        assert seen == [("2020-03-03", 3, False, "home"), ("2020-03-04", 4, False, "home")]
    assert sorted(p.name for p in (landing / "register").iterdir()) == days


class _FakeServerState:
    url = "sc://127.0.0.1:1"
    pid = 1


def _fake_server(work, enabled, warm_up=None):
    import contextlib
    from datetime import date

    from epilake.spark_warmup import WarmUpRound

    @contextlib.contextmanager
    def server():
        if enabled and warm_up is not None:
            warm_up.extend(
                [
                    WarmUpRound(date(2020, 10, 7), 30.5, 2100),
                    WarmUpRound(date(2020, 10, 8), 9.5, 40),
                ]
            )
        yield _FakeServerState() if enabled else None

    return server()
