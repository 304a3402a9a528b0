import os
import secrets
import stat
import threading

import pytest

from epilake.settings import REPO_ROOT, get_settings


def test_defaults_put_everything_under_home(settings, isolated_env):
    assert settings.home == isolated_env.resolve()
    assert settings.lake == isolated_env.resolve() / "lake"
    assert settings.warehouse == isolated_env.resolve() / "warehouse.duckdb"
    assert settings.jars_dir == REPO_ROOT / "jars" / "lib"
    assert settings.spark_master == "local[2]"
    assert settings.table_path("silver", "lab_results").endswith("lake/silver/lab_results")


def test_environment_overrides_each_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("EPILAKE_LAKE", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("EPILAKE_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("EPILAKE_SPARK_MASTER", "spark://cluster:7077")
    monkeypatch.setenv("EPILAKE_SPARK_REMOTE", "sc://connect:15002")
    monkeypatch.setenv("EPILAKE_NOW", "2021-01-02T03:04:05+00:00")
    settings = get_settings()
    assert settings.lake == tmp_path / "elsewhere"
    assert settings.warehouse == tmp_path / "w.duckdb"
    assert settings.spark_master == "spark://cluster:7077"
    assert settings.spark_remote == "sc://connect:15002"
    assert settings.now.isoformat() == "2021-01-02T03:04:05+00:00"
    assert settings.export_env()["EPILAKE_LAKE"] == str(tmp_path / "elsewhere")


def test_secret_is_generated_once_outside_the_repo_and_kept_private(monkeypatch, isolated_env):
    monkeypatch.delenv("EPILAKE_PSEUDONYM_SECRET")
    first = get_settings().pseudonym_secret
    key_file = isolated_env / "secrets" / "pseudonym.key"
    assert key_file.exists()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first) == 64
    assert get_settings().pseudonym_secret == first
    assert REPO_ROOT not in key_file.resolve().parents


def test_a_key_another_process_wrote_meanwhile_is_the_one_used(monkeypatch, isolated_env):
    """Two processes starting at once on a new home (a run and ``dagster dev``, two test
    workers) must agree on one key: the one whose key lands first wins, the other uses it."""
    monkeypatch.delenv("EPILAKE_PSEUDONYM_SECRET")
    key_file = isolated_env / "secrets" / "pseudonym.key"
    draw = secrets.token_hex

    def other_process_first(length: int) -> str:
        if not key_file.exists():  # it writes its key while this one draws its own
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text("b" * 64 + "\n")
        return draw(length)

    monkeypatch.setattr(secrets, "token_hex", other_process_first)
    assert get_settings().pseudonym_secret == "b" * 64
    assert get_settings().pseudonym_secret == "b" * 64
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["extract.key", "pseudonym.key"]


def test_explicit_secret_wins_and_is_not_in_repr(monkeypatch):
    monkeypatch.setenv("EPILAKE_PSEUDONYM_SECRET", "from-vault")
    settings = get_settings()
    assert settings.pseudonym_secret == "from-vault"
    assert "from-vault" not in repr(settings)


def test_missing_jars_give_an_actionable_error(monkeypatch, tmp_path):
    from epilake.spark import SparkSetupError, get_spark

    monkeypatch.setenv("EPILAKE_JARS_DIR", str(tmp_path / "no-jars"))
    with pytest.raises(SparkSetupError, match="make jars"):
        get_spark(get_settings(), "never-started")


def test_the_background_start_hands_its_session_to_the_run(spark, settings):
    from epilake.spark import get_spark, start_in_background

    thread = start_in_background(settings)
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert get_spark(settings) is spark  # the steps get the session the thread started


def test_a_background_start_that_fails_leaves_the_error_to_the_first_step(monkeypatch):
    from epilake.spark import SparkSetupError, get_spark, start_in_background

    monkeypatch.setenv("EPILAKE_JARS_DIR", "/nonexistent/jars")
    raised = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    settings = get_settings()
    thread = start_in_background(settings)
    thread.join(timeout=60)
    assert not thread.is_alive() and not raised  # ended quietly
    with pytest.raises(SparkSetupError, match="make jars"):
        get_spark(settings)


def test_file_listings_use_as_many_tasks_as_a_shuffle_not_sparks_cluster_default(spark):
    # Delta's VACUUM lists a table's files in this many tasks; Spark's default (10,000)
    # took about a minute per table on 2 cores.
    listing = spark.conf.get("spark.sql.sources.parallelPartitionDiscovery.parallelism")
    assert listing == spark.conf.get("spark.sql.shuffle.partitions") == "2"
