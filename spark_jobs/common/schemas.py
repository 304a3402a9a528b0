"""Schemas every feed shares: landed lines, bronze rows and quarantine rows."""

from pyspark.sql import types as T

# The landing lines as they enter Spark (built by the ingestor from the decoded files).
LANDED_LINES = T.StructType(
    [
        T.StructField("_delivery_date", T.DateType(), nullable=False),
        T.StructField("_batch_id", T.StringType(), nullable=False),
        T.StructField("_source_file", T.StringType(), nullable=False),
        T.StructField("_line", T.IntegerType(), nullable=False),
        T.StructField("raw", T.StringType(), nullable=False),
    ]
)

# Bronze keeps the record as received; the few extracted columns serve lookups only
# (``subject_id`` is the platform patient id: bronze is the one layer allowed to hold it).
BRONZE = T.StructType(
    [
        *LANDED_LINES.fields,
        T.StructField("record_id", T.StringType()),
        T.StructField("record_version", T.StringType()),
        T.StructField("subject_id", T.StringType()),
        T.StructField("_record_hash", T.StringType(), nullable=False),
        T.StructField("_ingested_at", T.TimestampType(), nullable=False),
    ]
)

QUARANTINE = T.StructType(
    [
        T.StructField("_delivery_date", T.DateType()),
        T.StructField("_batch_id", T.StringType()),
        T.StructField("_source_file", T.StringType(), nullable=False),
        T.StructField("_line", T.IntegerType()),
        T.StructField("entity", T.StringType()),
        T.StructField("record_id", T.StringType()),
        T.StructField("raw", T.StringType()),
        T.StructField("rule", T.StringType(), nullable=False),
        T.StructField("reason", T.StringType(), nullable=False),
        T.StructField("_ingested_at", T.TimestampType(), nullable=False),
    ]
)

# Load metadata every silver table carries, to trace a row back to its file and line.
SILVER_LINEAGE = [
    T.StructField("_delivery_date", T.DateType(), nullable=False),
    T.StructField("_source_file", T.StringType(), nullable=False),
    T.StructField("_line", T.IntegerType(), nullable=False),
    T.StructField("_ingested_at", T.TimestampType(), nullable=False),
]
