"""A feed of several entities (records: five resource types) loads with one audit commit."""

from datetime import date, timedelta

import pytest
from deltalake import DeltaTable

from epilake.generator import CityConfig, generate_city
from spark_jobs.common import audit
from spark_jobs.common.delta import is_append_only
from spark_jobs.common.ops_tables import row_count
from spark_jobs.common.window import SMALL_DELIVERY_DAYS, DeliveryWindow
from spark_jobs.records import job as records

CITY = CityConfig(patients=3000, start=date(2020, 3, 1), days=70, seed=11, dirt=0.05)
LAST_DAY = CITY.start + timedelta(days=CITY.days - 1)


@pytest.mark.parametrize(
    "days", [3, SMALL_DELIVERY_DAYS + 2], ids=["side-by-side", "one-after-another"]
)
def test_the_records_entities_load_with_one_audit_commit_and_nothing_twice(spark, settings, days):
    """A small delivery loads the five entities side by side, a longer one in turn; either
    way every file is audited in one append, the quarantine (shared by the five) holds every
    rejected record, and loading again adds nothing."""
    generate_city(settings.landing, CITY)
    window = DeliveryWindow(LAST_DAY - timedelta(days=days - 1), LAST_DAY)
    landed = [
        path
        for path in (settings.landing / "records").rglob("*")
        if path.is_file() and window.contains(date.fromisoformat(path.parent.name))
    ]
    entities = {
        r.entity for r in records.RESOURCES if any(r.resource_type in p.name for p in landed)
    }
    assert len(entities) >= 3

    summary = records.ingest_bronze(spark, settings, window)

    assert summary.files_loaded + summary.files_quarantined == len(landed)
    assert summary.reconciles and summary.records_quarantined > 0
    audit_log = DeltaTable(settings.table_path(*audit.AUDIT_TABLE))
    assert audit_log.version() == 0  # created by the feed's one append
    audited = audit_log.to_pyarrow_table().to_pylist()
    assert len(audited) == len(landed)
    assert {row["entity"] for row in audited} == entities
    accepted = 0
    for resource in (r for r in records.RESOURCES if r.entity in entities):
        assert is_append_only(settings.table_path("bronze", "records", resource.entity))
        rows = row_count(settings.table_path("bronze", "records", resource.entity))
        assert rows == sum(
            row["records_accepted"] for row in audited if row["entity"] == resource.entity
        )
        accepted += rows
    assert accepted == summary.records_accepted
    quarantined = row_count(settings.table_path("quarantine", "records"))
    assert quarantined == summary.records_quarantined

    again = records.ingest_bronze(spark, settings, window)

    assert again.files_loaded == again.records_read == 0
    assert DeltaTable(settings.table_path(*audit.AUDIT_TABLE)).version() == 0
