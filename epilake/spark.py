"""The Spark session factory: embedded by default, a cluster by configuration only."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from pyspark.sql import SparkSession

from epilake.settings import Settings

DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
# Fallback when the local jar folder is missing and the machine has internet.
DELTA_PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0"
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
# The embedded JVM sits idle while gates, dbt and the dashboard run in the same pipeline;
# periodic G1 collections then shrink its heap and give the memory back to them.
JVM_MEMORY_RETURN = "-XX:G1PeriodicGCInterval=5000 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"


class SparkSetupError(RuntimeError):
    """Spark cannot start as configured; the message says how to fix it."""


def delta_jars(jars_dir: Path) -> list[str]:
    """The jar files Maven resolved for Delta (see ``make jars``)."""
    if not jars_dir.is_dir():
        return []
    return sorted(str(p) for p in jars_dir.glob("*.jar"))


# Delta keeps a table's log, its snapshot and the snapshot's cached state in memory for
# 60 minutes after its last use, up to 10,000 tables. A lake has 24 tables; a server that
# serves copied or short-lived homes (the bench, the tests) would otherwise hold every
# one of them: reading 12 copies of the M lake left it 1009 MiB of live heap, growing
# 77 MiB a copy, against 305 MiB with 48 tables kept (decision 0026).
DELTA_LOG_CACHE_SIZE = "spark.databricks.delta.delta.log.cacheSize"
DELTA_LOGS_KEPT = 48


def static_conf(settings: Settings, long_running: bool = False) -> dict[str, str]:
    """Settings fixed when the JVM starts: Delta, memory, logging, no UI.

    ``long_running`` (a Spark Connect server): the heap starts at its maximum and is kept.
    Shrunk between runs, a server spent ~8 % of an M day in collections growing it back
    (17 s of GC in four days against 4 s in three with the fixed heap; decision 0013).
    It keeps Delta's logs of ``DELTA_LOGS_KEPT`` tables, two lakes' worth.
    """
    memory = os.environ.get("EPILAKE_SPARK_DRIVER_MEMORY", "4g")
    heap = f"-Xms{memory}" if long_running else JVM_MEMORY_RETURN
    kept = {DELTA_LOG_CACHE_SIZE: str(DELTA_LOGS_KEPT)} if long_running else {}
    return {
        **kept,
        "spark.sql.extensions": DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": memory,
        "spark.sql.warehouse.dir": str(settings.home / "spark-warehouse"),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={settings.home} -Dlog4j2.configurationFile={LOG_CONFIG} {heap}"
        ),
    }


def session_conf(settings: Settings) -> dict[str, str]:
    """Settings every EpiLake session sets for itself (also on a shared Spark Connect server)."""
    return {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
        # Delta's default of 50 snapshot partitions suits a cluster; here every table
        # operation would pay for 50 tiny tasks on 2 cores.
        "spark.databricks.delta.snapshotPartitions": SNAPSHOT_PARTITIONS,
        # Delta's VACUUM lists and counts a table's files in as many tasks as this (Spark's
        # default: 10,000, sized for cluster file listings): about a minute per table on
        # 2 cores however small the table, against 4-5 s with as many tasks as a shuffle.
        "spark.sql.sources.parallelPartitionDiscovery.parallelism": str(
            settings.spark_shuffle_partitions
        ),
    }


# A small delivery's shuffles (a few thousand rows a feed) in as many tasks as two cores run
# at once, and Delta's log replay likewise: with the usual 8 shuffle and 4 snapshot
# partitions a served M day's Spark server spent 122-142 CPU-seconds on bronze and silver,
# with 2 and 2 it spent 98-110 (tasks' serialisation and scheduling, not rows; decision 0019).
SMALL_DELIVERY_PARTITIONS = 2
SNAPSHOT_PARTITIONS = "4"  # Delta's log replay of any other step


def partition_conf(settings: Settings, small_delivery: bool) -> dict[str, str]:
    """Shuffle and Delta snapshot partitions, and whole-stage code generation, for a step's
    delivery window.

    A small delivery runs hundreds of short queries, each compiled to Java by whole-stage
    code generation before it runs, and a new Spark Connect session compiles them all again
    (its own class loader misses the code cache). On a served M day a tenth of the server's
    task time went to compiling; without it the four silver steps took 4.6 s less on
    average over five alternating pairs, the day 2.8 s less over four (decision 0023).
    Larger windows (a first load, a backfill) keep it: there the generated code pays.
    """
    if small_delivery:
        partitions = min(SMALL_DELIVERY_PARTITIONS, settings.spark_shuffle_partitions)
        return {
            "spark.sql.shuffle.partitions": str(partitions),
            "spark.databricks.delta.snapshotPartitions": str(partitions),
            "spark.sql.codegen.wholeStage": "false",
        }
    return {
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.databricks.delta.snapshotPartitions": SNAPSHOT_PARTITIONS,
        "spark.sql.codegen.wholeStage": "true",
    }


def jar_conf(settings: Settings) -> dict[str, str]:
    """Where Spark finds the Delta jars: the local jar folder, or a download when allowed."""
    jars = delta_jars(settings.jars_dir)
    if jars:
        return {"spark.jars": ",".join(jars)}
    if os.environ.get("EPILAKE_ALLOW_JAR_DOWNLOAD") == "1":
        return {"spark.jars.packages": DELTA_PACKAGE}
    raise SparkSetupError(
        f"No Delta Lake jars in {settings.jars_dir}. Run `make jars` (Maven resolves them "
        "once, then Spark runs offline), or set EPILAKE_ALLOW_JAR_DOWNLOAD=1 to let Spark "
        "download them at start-up."
    )


def get_spark(settings: Settings, app_name: str = "epilake") -> SparkSession:
    """Return the session for these settings, creating it on first use.

    - ``EPILAKE_SPARK_REMOTE`` set: a session on that Spark Connect server (one started by
      ``epilake spark-server start``, or any server with the Delta jars and extension).
    - otherwise ``EPILAKE_SPARK_MASTER`` (``local[*]`` by default, or a standalone
      ``spark://host:7077`` URL) with the Delta jars from the local jar folder.
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName(app_name)
    if settings.spark_remote:
        session = builder.remote(settings.spark_remote).getOrCreate()
        for key, value in session_conf(settings).items():
            session.conf.set(key, value)
        _REMOTE_SESSIONS.append(session)
        return session

    conf = {**jar_conf(settings), **static_conf(settings), **session_conf(settings)}
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.master(settings.spark_master).getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


_REMOTE_SESSIONS: list[SparkSession] = []


def is_remote(session: SparkSession) -> bool:
    """Whether ``session`` is a Spark Connect session (its work runs in another process)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def release_remote_sessions() -> int:
    """End this process's sessions on a Spark Connect server (the server keeps running).

    The server would otherwise hold a finished run's session, with anything it cached,
    until its idle timeout. Embedded sessions are left alone: they end with the process.
    """
    released = len(_REMOTE_SESSIONS)
    while _REMOTE_SESSIONS:
        _REMOTE_SESSIONS.pop().stop()
    return released


def start_in_background(settings: Settings) -> threading.Thread:
    """Start the session on a thread.

    ``epilake run`` calls this before Dagster plans the run, so the JVM's start (5-8 s here)
    overlaps the planning instead of holding up the first step, which gets the same session.
    A failure is left for that step to raise, with its own message.
    """

    def start() -> None:
        with contextlib.suppress(Exception):
            get_spark(settings)

    thread = threading.Thread(target=start, name="spark-start", daemon=True)
    thread.start()
    return thread
