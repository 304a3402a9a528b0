"""Declared schemas for the lab feed: FHIR R4 Observation (FEEDS.md), never inferred."""

from pyspark.sql import types as T

CORRUPT_RECORD = "_corrupt_record"

_CODING = T.StructType(
    [
        T.StructField("system", T.StringType()),
        T.StructField("code", T.StringType()),
        T.StructField("display", T.StringType()),
    ]
)
_CODEABLE_CONCEPT = T.StructType(
    [
        T.StructField("coding", T.ArrayType(_CODING)),
        T.StructField("text", T.StringType()),
    ]
)
_REFERENCE = T.StructType([T.StructField("reference", T.StringType())])

OBSERVATION = T.StructType(
    [
        T.StructField("resourceType", T.StringType()),
        T.StructField("id", T.StringType()),
        T.StructField("meta", T.StructType([T.StructField("lastUpdated", T.StringType())])),
        T.StructField(
            "identifier",
            T.ArrayType(
                T.StructType(
                    [
                        T.StructField("system", T.StringType()),
                        T.StructField("value", T.StringType()),
                    ]
                )
            ),
        ),
        T.StructField("status", T.StringType()),
        T.StructField("code", _CODEABLE_CONCEPT),
        T.StructField("subject", _REFERENCE),
        T.StructField("effectiveDateTime", T.StringType()),
        T.StructField("issued", T.StringType()),
        T.StructField("valueCodeableConcept", _CODEABLE_CONCEPT),
        T.StructField(
            "valueQuantity",
            T.StructType(
                [
                    T.StructField("value", T.DoubleType()),
                    T.StructField("unit", T.StringType()),
                    T.StructField("system", T.StringType()),
                    T.StructField("code", T.StringType()),
                ]
            ),
        ),
        T.StructField("performer", T.ArrayType(_REFERENCE)),
        T.StructField(CORRUPT_RECORD, T.StringType()),
    ]
)

# The landing lines as they enter Spark (built by job.py from the decoded files).
LANDED_LINES = T.StructType(
    [
        T.StructField("_delivery_date", T.DateType(), nullable=False),
        T.StructField("_batch_id", T.StringType(), nullable=False),
        T.StructField("_source_file", T.StringType(), nullable=False),
        T.StructField("_line", T.IntegerType(), nullable=False),
        T.StructField("raw", T.StringType(), nullable=False),
    ]
)

BRONZE_OBSERVATIONS = T.StructType(
    [
        *LANDED_LINES.fields,
        T.StructField("resource_id", T.StringType()),
        T.StructField("last_updated", T.StringType()),
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

SILVER_LAB_RESULTS = T.StructType(
    [
        T.StructField("result_id", T.StringType(), nullable=False),
        T.StructField("accession_key", T.StringType()),
        T.StructField("patient_key", T.StringType(), nullable=False),
        T.StructField("status", T.StringType(), nullable=False),
        T.StructField("is_retracted", T.BooleanType(), nullable=False),
        T.StructField("loinc_code", T.StringType(), nullable=False),
        T.StructField("test_type", T.StringType(), nullable=False),
        T.StructField("result_code", T.StringType()),
        T.StructField("result_value", T.DoubleType()),
        T.StructField("result_unit", T.StringType()),
        T.StructField("is_positive", T.BooleanType()),
        T.StructField("collected_at", T.TimestampType(), nullable=False),
        T.StructField("issued_at", T.TimestampType(), nullable=False),
        T.StructField("specimen_date", T.DateType(), nullable=False),
        T.StructField("lab_id", T.StringType()),
        T.StructField("version_at", T.TimestampType(), nullable=False),
        T.StructField("_delivery_date", T.DateType(), nullable=False),
        T.StructField("_source_file", T.StringType(), nullable=False),
        T.StructField("_line", T.IntegerType(), nullable=False),
        T.StructField("_ingested_at", T.TimestampType(), nullable=False),
    ]
)
