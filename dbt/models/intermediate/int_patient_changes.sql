-- The patients whose silver rows changed since the previous build: what the incremental
-- intermediate models rebuild (macros/incremental_by_patient.sql). Each build appends the
-- patients it found, stamped with the build's time (changed_by); a model rebuilds the
-- patients stamped after the changed_by of its own last build. Each clock is compared only
-- with itself: the promotion log's times (the run's) with the newest one the previous build
-- saw, the register's _promoted_at (Spark's) likewise. A row without a patient says
-- "everything": the first build, or silver rebuilt from bronze (its promotion log or
-- register history begins after what the previous build saw).
-- It reads the silver tables themselves (not staging) for the bookkeeping columns.
{{ config(
    materialized="incremental",
    incremental_strategy="append",
    on_schema_change="append_new_columns",
    tags=["bookkeeping"],
) }}
{#- A log written by an older version of this model lacks the columns it compares with:
    then it starts again from "everything", once. -#}
{%- set has_watermarks = is_incremental() and relation_has_columns(
    this, ["promotions_until", "register_until"]
) -%}

with

promotions as (

    select
        source_file,
        promoted_at
    from {{ source('ops', 'silver_promotions') }}

),

versions as (

    select
        patient_key,
        _promoted_at
    from {{ source('register', 'patients') }}

),

seen as (

    select
        (select max(promoted_at) from promotions) as promotions_until,
        (select max(_promoted_at) from versions) as register_until,
        (select min(promoted_at) from promotions) as first_promotion,
        (select min(_promoted_at) from versions) as first_version

),

previous as (

    {% if has_watermarks %}
        select
            max(promotions_until) as promotions_until,
            max(register_until) as register_until
        from {{ this }}
    {% else %}
        select
            cast(null as timestamp with time zone) as promotions_until,
            cast(null as timestamp with time zone) as register_until
    {% endif %}

),

promoted_files as (

    select promotions.source_file
    from promotions
    cross join previous
    where promotions.promoted_at > previous.promotions_until

),

changed_rows as (

    select versions.patient_key
    from versions
    cross join previous
    where versions._promoted_at > previous.register_until
    {% for feed, table, key in [
        ('lab', 'lab_results', 'patient_key'),
        ('records', 'encounters', 'patient_key'),
        ('records', 'conditions', 'patient_key'),
        ('records', 'vital_signs', 'patient_key'),
        ('records', 'ct_reports', 'patient_key'),
        ('records', 'immunizations', 'patient_key'),
        ('tracing', 'contacts', 'index_patient_key'),
        ('tracing', 'contacts', 'contact_patient_key'),
    ] %}
        union
        select {{ key }} as patient_key
        from {{ source(feed, table) }}
        where
            _source_file in (select promoted_files.source_file from promoted_files)
            and {{ key }} is not null
    {% endfor %}

),

everything as (

    select cast(null as varchar) as patient_key
    from previous
    cross join seen
    where
        previous.promotions_until is null
        or previous.register_until is null
        or seen.first_promotion > previous.promotions_until
        or seen.first_version > previous.register_until

)

select
    changes.patient_key,
    current_timestamp as changed_by,
    seen.promotions_until,
    seen.register_until
from (
    select patient_key from changed_rows
    union all
    select patient_key from everything
) as changes
cross join seen
