-- The patients whose silver rows changed since the previous build: what the incremental
-- intermediate models rebuild (macros/incremental_by_patient.sql). Each build appends the
-- patients it found, stamped with the newest promotion time it saw (changed_by); a model
-- rebuilds the patients stamped after the changed_by of its own last build. A row without a
-- patient says "everything": the first build, or silver rebuilt from bronze (its promotion
-- log or register history begins after the previous build).
-- It reads the silver tables themselves (not staging) for the bookkeeping columns.
{{ config(materialized="incremental", incremental_strategy="append") }}

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
        greatest(
            (select max(promoted_at) from promotions),
            (select max(_promoted_at) from versions)
        ) as changed_by,
        (select min(promoted_at) from promotions) as first_promotion,
        (select min(_promoted_at) from versions) as first_version

),

previous as (

    {% if is_incremental() %}
        select max(changed_by) as changed_by from {{ this }}
    {% else %}
        select cast(null as timestamp with time zone) as changed_by
    {% endif %}

),

promoted_files as (

    select promotions.source_file
    from promotions
    cross join previous
    where promotions.promoted_at > previous.changed_by

),

changed_rows as (

    select versions.patient_key
    from versions
    cross join previous
    where versions._promoted_at > previous.changed_by
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
        select {{ key }}
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
        previous.changed_by is null
        or seen.first_promotion > previous.changed_by
        or seen.first_version > previous.changed_by

)

select
    changes.patient_key,
    seen.changed_by
from (
    select patient_key from changed_rows
    union all
    select patient_key from everything
) as changes
cross join seen
where seen.changed_by is not null
