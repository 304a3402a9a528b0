"""Declared schemas of the register feed: the SCD2 patient history."""

from pyspark.sql import types as T

from spark_jobs.common.schemas import SILVER_LINEAGE

# One row per register version of a patient (SCD type 2). No direct identifier: the patient
# is a keyed HMAC, the birth date becomes a birth year and month, the address an okrug.
SILVER_PATIENTS = T.StructType(
    [
        T.StructField("patient_key", T.StringType(), nullable=False),
        T.StructField("event_id", T.StringType(), nullable=False),
        T.StructField("sex", T.StringType(), nullable=False),
        T.StructField("birth_year", T.IntegerType(), nullable=False),
        T.StructField("birth_month", T.IntegerType(), nullable=False),
        T.StructField("okrug", T.StringType(), nullable=False),
        T.StructField("covid_status", T.StringType(), nullable=False),
        T.StructField("contact_status", T.StringType(), nullable=False),
        T.StructField("immune_status", T.StringType(), nullable=False),
        T.StructField("status_since", T.DateType()),
        T.StructField("valid_from", T.TimestampType(), nullable=False),
        T.StructField("valid_to", T.TimestampType()),
        T.StructField("valid_from_date", T.DateType(), nullable=False),
        T.StructField("valid_to_date", T.DateType()),
        T.StructField("is_current", T.BooleanType(), nullable=False),
        T.StructField("closed_by_delete", T.BooleanType(), nullable=False),
        *SILVER_LINEAGE,
        # When this version was written to silver: the watermark other silver tables use
        # to re-match rows that waited for their patient.
        T.StructField("_promoted_at", T.TimestampType(), nullable=False),
    ]
)
