"""Declared schemas of the tracing feed: a contact record in, ``silver/contacts`` out."""

from pyspark.sql import types as T

from spark_jobs.common.fhir import CORRUPT_RECORD
from spark_jobs.common.schemas import SILVER_LINEAGE

FIELDS = (
    "contact_id",
    "investigation_id",
    "index_patient_id",
    "contact_patient_id",
    "contact_name",
    "contact_phone",
    "setting",
    "exposure_date",
    "identified_at",
    "notified_at",
    "quarantine_start",
    "quarantine_end",
    "test_result",
    "outcome",
    "updated_at",
)
CONTACT = T.StructType(
    [T.StructField(name, T.StringType()) for name in FIELDS]
    + [T.StructField(CORRUPT_RECORD, T.StringType())]
)

SILVER_CONTACTS = T.StructType(
    [
        T.StructField("contact_id", T.StringType(), nullable=False),
        T.StructField("investigation_id", T.StringType(), nullable=False),
        T.StructField("index_patient_key", T.StringType(), nullable=False),
        T.StructField("contact_patient_key", T.StringType()),
        T.StructField("setting", T.StringType(), nullable=False),
        T.StructField("exposure_date", T.DateType(), nullable=False),
        T.StructField("identified_at", T.TimestampType(), nullable=False),
        T.StructField("notified_at", T.TimestampType()),
        T.StructField("quarantine_start", T.DateType()),
        T.StructField("quarantine_end", T.DateType()),
        T.StructField("test_result", T.StringType(), nullable=False),
        T.StructField("outcome", T.StringType(), nullable=False),
        T.StructField("version_at", T.TimestampType(), nullable=False),
        *SILVER_LINEAGE,
    ]
)
