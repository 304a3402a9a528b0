"""Declared schemas for the lab feed: FHIR R4 Observation (FEEDS.md), never inferred."""

from pyspark.sql import types as T

from spark_jobs.common.fhir import CODEABLE_CONCEPT, QUANTITY, REFERENCE, resource_schema
from spark_jobs.common.schemas import SILVER_LINEAGE

OBSERVATION = resource_schema(
    T.StructField(
        "identifier",
        T.ArrayType(
            T.StructType(
                [T.StructField("system", T.StringType()), T.StructField("value", T.StringType())]
            )
        ),
    ),
    T.StructField("code", CODEABLE_CONCEPT),
    T.StructField("effectiveDateTime", T.StringType()),
    T.StructField("issued", T.StringType()),
    T.StructField("valueCodeableConcept", CODEABLE_CONCEPT),
    T.StructField("valueQuantity", QUANTITY),
    T.StructField("performer", T.ArrayType(REFERENCE)),
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
        *SILVER_LINEAGE,
    ]
)
