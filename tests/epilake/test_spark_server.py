"""The Spark Connect server's command line and state files (the real server: integration)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from epilake import spark_server, spark_warmup
from epilake.cli import main
from epilake.spark import (
    DELTA_EXTENSION,
    DELTA_LOG_CACHE_SIZE,
    DELTA_LOGS_KEPT,
    is_remote,
    static_conf,
)


def _conf(command: list[str]) -> dict[str, str]:
    pairs = [command[i + 1] for i, part in enumerate(command) if part == "--conf"]
    return dict(pair.split("=", 1) for pair in pairs)


def test_the_server_gets_delta_and_every_session_setting_of_the_embedded_spark(settings):
    command = spark_server.server_command(settings, 15123)
    conf = _conf(command)

    assert command[command.index("--class") + 1] == spark_server.SERVER_CLASS
    assert conf["spark.sql.extensions"] == DELTA_EXTENSION
    assert conf["spark.connect.grpc.binding.port"] == "15123"
    assert conf["spark.connect.grpc.binding.address"] == "127.0.0.1"  # not the network
    assert conf["spark.sql.session.timeZone"] == "UTC"
    jars = command[command.index("--jars") + 1].split(",")
    assert any("delta-spark" in jar for jar in jars)
    assert command[-1] == "spark-internal"


def test_the_server_keeps_its_whole_heap_and_the_embedded_jvm_gives_memory_back(settings):
    served = _conf(spark_server.server_command(settings, 15123))["spark.driver.extraJavaOptions"]
    embedded = static_conf(settings)["spark.driver.extraJavaOptions"]

    assert "-Xms4g" in served.split()
    assert "G1PeriodicGCInterval" not in served
    assert "G1PeriodicGCInterval" in embedded and "-Xms" not in embedded


def test_the_server_keeps_the_delta_logs_of_two_lakes_and_the_embedded_jvm_delta_s_default(
    settings,
):
    served = _conf(spark_server.server_command(settings, 15123))
    assert int(served[DELTA_LOG_CACHE_SIZE]) == DELTA_LOGS_KEPT >= 2 * 24  # a lake's tables
    assert DELTA_LOG_CACHE_SIZE not in static_conf(settings)


def test_no_state_files_mean_no_server(settings):
    state = spark_server.state(settings)
    assert (state.running, state.url) == (False, None)
    assert spark_server.stop(settings) is False


def test_a_dead_pid_is_not_a_running_server(settings):
    folder = settings.home / "spark-server"
    folder.mkdir(parents=True)
    (folder / "pid").write_text("999999999")
    (folder / "port").write_text("15123")
    assert not spark_server.state(settings).running


def test_status_exits_non_zero_without_a_server(tmp_path):
    result = CliRunner().invoke(main, ["spark-server", "status", "--home", str(tmp_path)])
    assert result.exit_code == 1
    assert "No Spark server is running" in result.output


def test_the_embedded_session_is_not_remote_and_loads_in_big_chunks(spark, settings):
    from spark_jobs.common.ingest import DEFAULT_CHUNK_LINES, FeedIngestor
    from spark_jobs.lab.job import LAB_SPEC

    assert not is_remote(spark)
    assert FeedIngestor(spark, settings, LAB_SPEC).chunk_lines == DEFAULT_CHUNK_LINES


def test_a_failed_warm_up_says_how_far_it_got_and_removes_its_scratch(tmp_path):
    """A URL that is no Spark Connect address: the child's first round fails, and the error
    names the rounds done, the way out (start without a warm-up) and the child's error."""
    scratch = tmp_path / "warm-up"
    with pytest.raises(
        spark_warmup.SparkWarmUpError, match=r"(?s)after 0 of 1 rounds.*days 0.*sc://"
    ):
        spark_warmup.warm_up("http://127.0.0.1:9", scratch, days=1, timeout=300)
    assert not scratch.exists()


def test_no_warm_up_days_means_no_child_and_no_scratch(tmp_path):
    assert spark_warmup.warm_up("sc://127.0.0.1:9", tmp_path / "warm-up", days=0) == []
    assert not (tmp_path / "warm-up").exists()
