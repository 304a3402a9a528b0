"""GX suites ``quarantine__<feed>``: every batch of the run reconciles, few records of a
batch are quarantined, and few of the run's (blocking: the systemic signal), on the feed's
``ops/batch_audit`` rows of the run."""

from __future__ import annotations

from expectations import thresholds
from expectations.suites.common import ERROR, WARN, between, e, one_of, required, suite
from spark_jobs.common.audit import FileStatus


def suite_name(feed: str) -> str:
    return f"quarantine__{feed}"


def build_suite(feed: str):
    return suite(
        suite_name(feed),
        [
            *required("source_file", "sha256", "status"),
            one_of("status", [status.value for status in FileStatus]),
            between("_unreconciled", 0, 0),  # read = accepted + quarantined
            between("_quarantine_rate", 0, thresholds.MAX_BATCH_QUARANTINE_RATE, severity=WARN),
            e.ExpectColumnMaxToBeBetween(
                column="_run_quarantine_share",
                min_value=0,
                max_value=thresholds.MAX_RUN_QUARANTINE_SHARE,
                severity=ERROR,
            ),
        ],
    )
