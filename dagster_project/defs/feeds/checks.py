"""Per-feed ingestion gates on the feed's bronze asset: every batch reconciles, and no file
was re-delivered with different bytes in this run.

Both read ``ops/batch_audit`` (one row per landing file) with delta-rs: no Spark job.
"""

from datetime import UTC, datetime

import dagster as dg

from dagster_project.defs.feeds.assets import FEEDS, Feed
from dagster_project.defs.resources import EpiLakeResource
from epilake.publication import HOLDS_BACK, GateFailure, record_gate_failures
from spark_jobs.common import audit
from spark_jobs.common.ops_tables import read_rows

AUDIT_COLUMNS = [
    "source_file",
    "records_read",
    "records_accepted",
    "records_quarantined",
    "status",
    "message",
    "ingested_at",
]


def reconcile_result(key: dg.AssetCheckKey, rows: list[dict]) -> dg.AssetCheckResult:
    """Every batch's records read = accepted + quarantined; a batch that does not holds back
    the feed's silver tables and what is built from them (as a failed gate does)."""
    broken = [
        r["source_file"]
        for r in rows
        if r["records_read"] != r["records_accepted"] + r["records_quarantined"]
    ]
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=not broken,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{HOLDS_BACK} what is built from this feed: {len(broken)} batches do "
        f"not reconcile (records read != accepted + quarantined), e.g. {', '.join(broken[:3])}"
        if broken
        else "every batch reconciles",
        metadata={
            "holds_back": bool(broken),
            "batches_not_reconciling": len(broken),
            "examples": ", ".join(broken[:5]) or "none",
            "records_read": sum(r["records_read"] for r in rows),
            "records_accepted": sum(r["records_accepted"] for r in rows),
            "records_quarantined": sum(r["records_quarantined"] for r in rows),
        },
    )


def conflict_result(
    key: dg.AssetCheckKey, rows: list[dict], since: datetime
) -> dg.AssetCheckResult:
    """Warning: files of this run (audited at ``since`` or later) rejected as conflicts."""
    conflicts = [
        r["message"] or r["source_file"]
        for r in rows
        if r["ingested_at"] >= since and r["status"] == audit.FileStatus.CONFLICT_REJECTED
    ]
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=not conflicts,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"conflicts": len(conflicts), "details": "\n".join(conflicts) or "none"},
    )


def batch_checks(feed: Feed) -> dg.AssetChecksDefinition:
    reconcile = dg.AssetCheckKey(feed.bronze_keys[0], f"{feed.name}_batches_reconcile")
    conflict = dg.AssetCheckKey(feed.bronze_keys[0], f"{feed.name}_no_conflicting_redelivery")

    @dg.multi_asset_check(
        name=f"{feed.name}_batches",
        specs=[
            dg.AssetCheckSpec(
                reconcile.name,
                asset=reconcile.asset_key,
                blocking=True,
                description=f"Every {feed.name} batch reconciles: "
                "records read = accepted + quarantined.",
            ),
            dg.AssetCheckSpec(
                conflict.name,
                asset=conflict.asset_key,
                blocking=False,
                description=f"No {feed.name} file was re-delivered with different bytes "
                "in this run.",
            ),
        ],
        can_subset=True,
    )
    def checks(context: dg.AssetCheckExecutionContext, epilake: EpiLakeResource):
        settings = epilake.settings()
        rows = read_rows(
            settings.table_path(*audit.AUDIT_TABLE), AUDIT_COLUMNS, {"feed": feed.name}
        )
        if reconcile in context.selected_asset_check_keys:
            result = reconcile_result(reconcile, rows)
            if not result.passed:
                failure = GateFailure(
                    reconcile.asset_key.to_user_string(), reconcile.name, result.description
                )
                record_gate_failures(settings, context.run.run_id, [failure])
            yield result
        if conflict in context.selected_asset_check_keys:
            record = context.instance.get_run_record_by_id(context.run.run_id)
            started = datetime.fromtimestamp(int(record.start_time or 0), UTC)
            yield conflict_result(conflict, rows, started)

    return checks


CHECKS = [batch_checks(feed) for feed in FEEDS]
