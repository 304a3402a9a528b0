"""GX suites ``quarantine__<feed>``: every batch of the run reconciles and few records of a
batch are quarantined (on the feed's ``ops/batch_audit`` rows of the run)."""

from __future__ import annotations

from expectations import thresholds
from expectations.suites.common import WARN, between, one_of, required, suite
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
        ],
    )
