"""Resources shared by every domain: the settings and the Spark session."""

from __future__ import annotations

import dagster as dg
from pyspark.sql import SparkSession

from epilake.settings import Settings, get_settings
from epilake.spark import get_spark, partition_conf, release_remote_sessions
from spark_jobs.common.window import DeliveryWindow


class EpiLakeResource(dg.ConfigurableResource):
    """Hands assets the settings, read from ``EPILAKE_*`` when the run starts (not at import)."""

    def settings(self) -> Settings:
        return get_settings()


class SparkResource(dg.ConfigurableResource):
    """One SparkSession per run process (local by default, a cluster or a Spark Connect server
    by configuration; a Connect session is released when the run ends)."""

    app_name: str = "epilake"

    def session(self, settings: Settings, window: DeliveryWindow | None = None) -> SparkSession:
        """The run's session, its partitions set for ``window`` (a step's deliveries): the
        run's Spark steps share the one session and its one window, so each sets the same."""
        session = get_spark(settings, self.app_name)
        small = window is not None and window.is_small
        for key, value in partition_conf(settings, small).items():
            session.conf.set(key, value)
        return session

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        release_remote_sessions()


RESOURCES = {"epilake": EpiLakeResource(), "spark": SparkResource()}
