"""De-identified, versioned training extracts for AI partners (``epilake extract``).

The rows are dbt models (``dbt/models/extracts``), reviewed like code; this package pins the
silver tables to Delta versions, re-keys patients per partner, enforces k-anonymity, splits
by patient and writes Parquet with a manifest and a datasheet.
"""
