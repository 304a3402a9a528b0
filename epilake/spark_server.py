"""A long-running local Spark Connect server: Spark that stays warm between runs.

Every ``epilake run`` on the embedded session starts a JVM, and a fresh JVM runs the day's
Spark work at half speed until its just-in-time compiler has caught up (decision 0012).
Daily operation can instead keep one Spark alive: ``epilake spark-server start`` launches
Spark Connect with the platform's Delta jars and settings, and runs that see
``EPILAKE_SPARK_REMOTE=sc://127.0.0.1:<port>`` use it. Each run gets its own Spark Connect
session (its own temporary views and settings) on the shared JVM. A new server first runs
a few days of a small synthetic city through the feed jobs (``epilake.spark_warmup``,
decision 0029), so that the first real delivery finds its JVM's code compiled.

``server_command`` is pure; the rest manages the process through files under
``$EPILAKE_HOME/spark-server`` (pid, port, log).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from epilake.settings import Settings
from epilake.spark import jar_conf, session_conf, static_conf

if TYPE_CHECKING:
    from epilake.spark_warmup import WarmUpRound

DEFAULT_PORT = 15002
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_TIMEOUT_SECONDS = 180


class SparkServerError(RuntimeError):
    """The server did not start or stop; the message says where to look."""


@dataclass(frozen=True)
class ServerState:
    pid: int | None
    port: int | None
    running: bool

    @property
    def url(self) -> str | None:
        return f"sc://127.0.0.1:{self.port}" if self.port else None


def spark_home() -> Path:
    """The Spark distribution that ships inside the ``pyspark`` package."""
    import pyspark

    return Path(pyspark.__file__).parent


def server_command(settings: Settings, port: int) -> list[str]:
    """``spark-submit`` of the Spark Connect server with EpiLake's jars and settings."""
    conf = {
        **static_conf(settings, long_running=True),
        **session_conf(settings),
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
    }
    command = [str(spark_home() / "bin" / "spark-submit"), "--class", SERVER_CLASS]
    command += ["--master", settings.spark_master, "--name", "epilake-spark-server"]
    jars = jar_conf(settings)
    if "spark.jars" in jars:
        command += ["--jars", jars["spark.jars"]]
    else:
        command += ["--packages", jars["spark.jars.packages"]]
    command += ["--driver-memory", conf.pop("spark.driver.memory")]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    return [*command, "spark-internal"]


def _folder(settings: Settings) -> Path:
    return settings.home / "spark-server"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    # A zombie (exited, not yet reaped) is not a server.
    return not (stat.exists() and stat.read_text().split(") ", 1)[-1].startswith("Z"))


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def state(settings: Settings) -> ServerState:
    folder = _folder(settings)
    try:
        pid = int((folder / "pid").read_text())
        port = int((folder / "port").read_text())
    except (OSError, ValueError):
        return ServerState(None, None, False)
    return ServerState(pid, port, _alive(pid) and _listening(port))


def start(
    settings: Settings,
    port: int = DEFAULT_PORT,
    warm_up_days: int = 0,
    on_warm_up_round: Callable[[WarmUpRound], None] | None = None,
) -> ServerState:
    """Start the server unless it runs; return once it accepts connections and, with
    ``warm_up_days``, once it has loaded that many days of a small synthetic city
    (``epilake.spark_warmup``: a fresh JVM's first days are its slowest)."""
    current = state(settings)
    if current.running:
        return current
    if _listening(port):
        raise SparkServerError(
            f"Port {port} is taken by another program; start on another one "
            "(`epilake spark-server start --port N`)."
        )
    folder = _folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "server.log"
    env = {**os.environ, "SPARK_HOME": str(spark_home()), "PYSPARK_PYTHON": sys.executable}
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    with log.open("w") as out:
        process = subprocess.Popen(
            server_command(settings, port),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=settings.home,
            start_new_session=True,  # outlives the command that started it
        )
    (folder / "pid").write_text(str(process.pid))
    (folder / "port").write_text(str(port))
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SparkServerError(f"The Spark server exited at start-up; see {log}.")
        if _listening(port):
            started = ServerState(process.pid, port, True)
            _warm_up(settings, started, warm_up_days, on_warm_up_round)
            return started
        time.sleep(0.5)
    process.terminate()
    raise SparkServerError(
        f"The Spark server did not listen on port {port} within "
        f"{START_TIMEOUT_SECONDS} s; see {log}."
    )


def _warm_up(
    settings: Settings,
    started: ServerState,
    days: int,
    on_round: Callable[[WarmUpRound], None] | None,
) -> None:
    from epilake.spark_warmup import SparkWarmUpError, warm_up

    try:
        warm_up(str(started.url), _folder(settings) / "warm-up", days, on_round)
    except SparkWarmUpError as error:
        raise SparkServerError(str(error)) from None


def stop(settings: Settings, timeout: float = 60) -> bool:
    """Stop the server if it runs (True if it did)."""
    current = state(settings)
    folder = _folder(settings)
    if current.pid is None or not _alive(current.pid):
        (folder / "pid").unlink(missing_ok=True)
        return False
    os.killpg(current.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(current.pid):
        if time.monotonic() > deadline:
            os.killpg(current.pid, signal.SIGKILL)
            break
        time.sleep(0.2)
    (folder / "pid").unlink(missing_ok=True)
    return True
