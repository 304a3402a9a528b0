"""Bronze, quarantine and silver assets of the four feeds, built from one description each."""

from dataclasses import dataclass

import dagster as dg

from dagster_project.defs.partitions import DELIVERY_DATES, SINGLE_RUN, delivery_window
from dagster_project.defs.pipeline.executor import SPARK_TAG
from dagster_project.defs.resources import EpiLakeResource, SparkResource
from spark_jobs.lab import job as lab_job
from spark_jobs.records import job as records_job
from spark_jobs.register import job as register_job
from spark_jobs.tracing import job as tracing_job

PATIENTS = dg.AssetKey(["silver", "patients"])


@dataclass(frozen=True)
class Feed:
    name: str
    entities: tuple[str, ...]  # bronze tables: bronze/<feed>/<entity>
    silver_tables: tuple[str, ...]  # silver/<table>
    job: object  # the spark_jobs module with ingest_bronze / promote_to_silver
    description: str

    @property
    def bronze_keys(self) -> list[dg.AssetKey]:
        return [dg.AssetKey(["bronze", self.name, entity]) for entity in self.entities]

    @property
    def quarantine_key(self) -> dg.AssetKey:
        return dg.AssetKey(["quarantine", self.name])

    @property
    def silver_keys(self) -> list[dg.AssetKey]:
        return [dg.AssetKey(["silver", table]) for table in self.silver_tables]


FEEDS = (
    Feed(
        "register",
        ("events",),
        ("patients",),
        register_job,
        "Integral patient register: change events -> SCD2 patient history.",
    ),
    Feed(
        "lab",
        ("observations",),
        ("lab_results",),
        lab_job,
        "Single lab service: FHIR Observations -> lab results.",
    ),
    Feed(
        "records",
        ("encounters", "conditions", "observations", "diagnostic_reports", "immunizations"),
        ("encounters", "conditions", "vital_signs", "ct_reports", "immunizations"),
        records_job,
        "E-medical records: five FHIR resource types -> five silver tables.",
    ),
    Feed(
        "tracing",
        ("contacts",),
        ("contacts",),
        tracing_job,
        "Epidemiological investigation: contact records -> contacts.",
    ),
)
FEEDS_BY_NAME = {feed.name: feed for feed in FEEDS}

# The order a run takes the feeds' Spark steps, which run one or two at a time (the
# executor's ``spark_steps_for``), as ``dagster/priority`` among the steps ready to start. The marts
# wait for the last silver step's gates, so the feed with the quickest silver gates
# (tracing, 3 s on an M day against the records' 7 s) promotes last; the records bronze,
# whose gates take longest (20 s), loads first so they are done before its silver is due;
# the register promotes first among silver, since the other feeds' silver gates match rows
# to it.
SPARK_STEP_ORDER = (
    "records_bronze",
    "register_bronze",
    "lab_bronze",
    "tracing_bronze",
    "register_silver",
    "records_silver",
    "lab_silver",
    "tracing_silver",
)


def _spark_step_tags(step: str, layer: str) -> dict[str, str]:
    """The tags of a Spark step: the Spark limit's tag and its place in the order above."""
    priority = len(SPARK_STEP_ORDER) - SPARK_STEP_ORDER.index(step)
    return {SPARK_TAG: layer, "dagster/priority": str(priority)}


def _bronze_asset(feed: Feed) -> dg.AssetsDefinition:
    specs = [
        *[
            dg.AssetSpec(
                key,
                group_name=feed.name,
                kinds={"spark", "delta"},
                description=f"Accepted {feed.name} records as received ({key.path[-1]}).",
            )
            for key in feed.bronze_keys
        ],
        dg.AssetSpec(
            feed.quarantine_key,
            group_name=feed.name,
            kinds={"spark", "delta"},
            description=f"Rejected {feed.name} records and files, each with rule and reason.",
        ),
    ]

    @dg.multi_asset(
        name=f"{feed.name}_bronze",
        specs=specs,
        partitions_def=DELIVERY_DATES,
        backfill_policy=SINGLE_RUN,
        description=f"{feed.description} Landing -> bronze + quarantine, with the batch audit.",
        op_tags=_spark_step_tags(f"{feed.name}_bronze", "bronze"),
    )
    def load(context: dg.AssetExecutionContext, epilake: EpiLakeResource, spark: SparkResource):
        settings = epilake.settings()
        window = delivery_window(context)
        context.log.info(f"{feed.name}: loading new landing files, {window}")
        summary = feed.job.ingest_bronze(spark.session(settings, window), settings, window)
        for message in summary.messages:
            context.log.warning(message)
        for key in feed.bronze_keys:
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "files_loaded": summary.files_loaded,
                    "records_read": summary.records_read,
                    "records_accepted": summary.records_accepted,
                    "path": dg.MetadataValue.path(settings.table_path(*key.path)),
                },
            )
        yield dg.MaterializeResult(
            asset_key=feed.quarantine_key,
            metadata={
                "records_quarantined": summary.records_quarantined,
                "files_quarantined": summary.files_quarantined,
                "files_duplicate_skipped": summary.files_duplicate,
                "files_conflict_rejected": summary.files_conflict,
                "path": dg.MetadataValue.path(settings.table_path("quarantine", feed.name)),
            },
        )

    return load


def _silver_asset(feed: Feed) -> dg.AssetsDefinition:
    # No feed's silver reads the register (decision 0011), so the four promote side by
    # side; the silver gates, which match rows to the register, wait for it.
    specs = [
        dg.AssetSpec(
            key,
            deps=feed.bronze_keys,
            group_name=feed.name,
            kinds={"spark", "delta"},
            description=f"Silver {key.path[-1]}: typed, pseudonymised, latest version wins.",
        )
        for key in feed.silver_keys
    ]

    @dg.multi_asset(
        name=f"{feed.name}_silver",
        specs=specs,
        partitions_def=DELIVERY_DATES,
        backfill_policy=SINGLE_RUN,
        description=f"{feed.description} Bronze -> silver (MERGE on business keys).",
        op_tags=_spark_step_tags(f"{feed.name}_silver", "silver"),
    )
    def promote(context: dg.AssetExecutionContext, epilake: EpiLakeResource, spark: SparkResource):
        settings = epilake.settings()
        window = delivery_window(context)
        result = feed.job.promote_to_silver(spark.session(settings, window), settings, window)
        for summary in result if isinstance(result, list) else [result]:
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(["silver", summary.table]),
                metadata={
                    "files_promoted": summary.files_promoted,
                    "rows_merged": summary.rows_in,
                    "row_count": summary.rows_total,
                    "delta_version": summary.table_version,
                    "path": dg.MetadataValue.path(settings.table_path("silver", summary.table)),
                },
            )

    return promote


ASSETS = [factory(feed) for feed in FEEDS for factory in (_bronze_asset, _silver_asset)]
