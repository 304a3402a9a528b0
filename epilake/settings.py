"""The one configuration object.

Every path, the Spark master and the secrets come from here. Defaults suit the embedded
mode (everything under ``./data``); ``EPILAKE_*`` environment variables override them.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ENV_PREFIX = "EPILAKE_"
REPO_ROOT = Path(__file__).resolve().parent.parent
# JSON {silver table: Delta version} that dbt's sources read (``delta_scan(..., version)``).
PINNED_VERSIONS_ENV = "EPILAKE_SILVER_VERSIONS"
UNPINNED_VERSIONS = "{}"  # every table at its current version
LOCAL_TIMEZONE = "Europe/Moscow"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Where everything lives and how to reach the engines."""

    home: Path
    landing: Path
    lake: Path
    warehouse: Path
    jars_dir: Path
    spark_master: str = "local[*]"
    spark_remote: str | None = None
    spark_shuffle_partitions: int = 8
    pseudonym_secret: str = field(default="", repr=False)
    # Derives each AI partner's own re-keying secret (epilake.extracts).
    extract_secret: str = field(default="", repr=False)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    dbt_project_dir: Path = REPO_ROOT / "dbt"

    @property
    def dashboards_dir(self) -> Path:
        return self.home / "dashboards"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def rejected_dir(self) -> Path:
        """Landing files refused whole (conflicting re-deliveries) are kept here."""
        return self.home / "rejected"

    @property
    def build_warehouse(self) -> Path:
        """Where dbt builds the models and the gates check them; nobody else reads it.

        Users read ``warehouse``, into which a run publishes only the marts no failed gate
        holds back (``epilake.publication``)."""
        return self.home / "build" / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    def table_path(self, *parts: str) -> str:
        """Location of a Delta table, e.g. ``table_path("silver", "lab_results")``."""
        return str(self.lake.joinpath(*parts))

    def export_env(self) -> dict[str, str]:
        """The settings as ``EPILAKE_*`` variables, for subprocesses such as dbt."""
        env = {
            "EPILAKE_HOME": str(self.home),
            "EPILAKE_LANDING": str(self.landing),
            "EPILAKE_LAKE": str(self.lake),
            "EPILAKE_WAREHOUSE": str(self.warehouse),
            "EPILAKE_BUILD_WAREHOUSE": str(self.build_warehouse),
            "EPILAKE_JARS_DIR": str(self.jars_dir),
            "EPILAKE_SPARK_MASTER": self.spark_master,
            # dbt's sources read the silver tables at their current versions unless an
            # extract pins them (epilake.extracts.build); a stray value must not pin a build.
            PINNED_VERSIONS_ENV: UNPINNED_VERSIONS,
        }
        if self.spark_remote:
            env["EPILAKE_SPARK_REMOTE"] = self.spark_remote
        return env


def _secret(home: Path, name: str) -> str:
    """A key from ``EPILAKE_<NAME>_SECRET`` (or the file named by ``EPILAKE_<NAME>_SECRET_FILE``).

    In the embedded mode, when neither is set, a random key is created once in
    ``<home>/secrets/<name>.key`` (mode 0600) so that keys stay stable across runs of the
    same installation. It is never in the repository.
    """
    variable = f"{name.upper()}_SECRET"
    direct = _env(variable)
    if direct:
        return direct
    key_file = Path(_env(f"{variable}_FILE") or home / "secrets" / f"{name}.key")
    if not key_file.exists():
        _create_key(key_file)
    return key_file.read_text().strip()


def _create_key(key_file: Path) -> None:
    """Write a new random key to ``key_file`` unless another process got there first: the
    key is written whole to a private file, then linked into place (a link never replaces a
    file), so two processes starting at once on a new home agree on one key."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    draft = key_file.with_name(f".{key_file.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    try:
        os.link(draft, key_file)
    except FileExistsError:
        pass  # another process's key is in place: everyone uses that one
    finally:
        draft.unlink()


def _now() -> datetime:
    override = _env("NOW")
    if not override:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(override)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def get_settings() -> Settings:
    """Build the settings from the environment (read at call time, never at import)."""
    home = Path(_env("HOME", str(REPO_ROOT / "data"))).resolve()
    return Settings(
        home=home,
        landing=Path(_env("LANDING", str(home / "landing"))).resolve(),
        lake=Path(_env("LAKE", str(home / "lake"))).resolve(),
        warehouse=Path(_env("WAREHOUSE", str(home / "warehouse.duckdb"))).resolve(),
        jars_dir=Path(_env("JARS_DIR", str(REPO_ROOT / "jars" / "lib"))).resolve(),
        spark_master=_env("SPARK_MASTER", "local[*]"),
        spark_remote=_env("SPARK_REMOTE"),
        spark_shuffle_partitions=int(_env("SPARK_SHUFFLE_PARTITIONS", "8")),
        pseudonym_secret=_secret(home, "pseudonym"),
        extract_secret=_secret(home, "extract"),
        now=_now(),
    )
