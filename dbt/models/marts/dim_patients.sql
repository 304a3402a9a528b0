-- Every pseudonymous patient key in the warehouse: register patients with their latest
-- register state, and patients other feeds name but the register does not (yet) hold.
with

latest_versions as (

    select
        *,
        row_number() over (partition by patient_key order by valid_from desc) as position
    from {{ ref('stg_register__patients') }}

),

as_of as (

    select max(date) as as_of_date from {{ ref('int_calendar') }}

),

registered as (

    select
        latest_versions.patient_key,
        latest_versions.sex,
        {{ age_band(
            'latest_versions.birth_year', 'latest_versions.birth_month', 'as_of.as_of_date'
        ) }} as age_band,
        latest_versions.okrug,
        latest_versions.covid_status,
        latest_versions.contact_status,
        latest_versions.immune_status,
        latest_versions.status_since,
        true as is_in_register,
        latest_versions.closed_by_delete as is_deleted
    from latest_versions
    cross join as_of
    where latest_versions.position = 1

),

named_elsewhere as (

    select patient_key from {{ ref('stg_lab__results') }}
    union
    select patient_key from {{ ref('stg_records__encounters') }}
    union
    select patient_key from {{ ref('stg_records__conditions') }}
    union
    select patient_key from {{ ref('stg_records__vital_signs') }}
    union
    select patient_key from {{ ref('stg_records__ct_reports') }}
    union
    select patient_key from {{ ref('stg_records__immunizations') }}
    union
    select index_patient_key as patient_key from {{ ref('stg_tracing__contacts') }}
    union
    select contact_patient_key as patient_key from {{ ref('stg_tracing__contacts') }}
    where contact_patient_key is not null

),

unregistered as (

    select
        named_elsewhere.patient_key,
        'unknown' as sex,
        'unknown' as age_band,
        'unknown' as okrug,
        cast(null as varchar) as covid_status,
        cast(null as varchar) as contact_status,
        cast(null as varchar) as immune_status,
        cast(null as date) as status_since,
        false as is_in_register,
        false as is_deleted
    from named_elsewhere
    anti join registered
        on named_elsewhere.patient_key = registered.patient_key

)

select * from registered
union all
select * from unregistered
