-- Contacts with the index patient's episode: the latest episode that started on or before
-- the contact was identified. Contacts of an index patient without such an episode have no
-- episode date and stay out of the tracing marts.
{{ config(
    materialized="incremental",
    incremental_strategy="append",
    pre_hook="{{ delete_changed_patients('index_patient_key', or_null=true) }}",
    post_hook="{{ record_patient_changes_consumed() }}",
) }}
-- depends_on: {{ ref('int_patient_changes') }}
with

contacts as (

    select * from {{ ref('stg_tracing__contacts') }}
    where {{ changed_patients_only('index_patient_key', or_null=true) }}

),

episodes as (

    select * from {{ ref('int_case_episodes') }}
    where {{ changed_patients_only('patient_key') }}

),

final as (

    select
        contacts.contact_id,
        contacts.index_patient_key,
        contacts.contact_patient_key,
        contacts.setting,
        contacts.exposure_date,
        contacts.identified_at,
        contacts.identified_date,
        contacts.notified_at,
        contacts.test_result,
        contacts.outcome,
        episodes.episode_key as index_episode_key,
        episodes.episode_start as index_episode_start,
        episodes.okrug as index_okrug,
        coalesce(contacts.notified_at <= contacts.identified_at + interval 24 hour, false)
            as notified_within_24h,
        epoch(contacts.identified_at - episodes.first_positive_issued_at) / 3600.0
            as hours_to_identify,
        contacts.test_result in ('positive', 'negative') as was_tested
    from contacts
    left join episodes
        on
            contacts.index_patient_key = episodes.patient_key
            and contacts.identified_date >= episodes.episode_start
            and contacts.identified_date
            < coalesce(episodes.next_episode_start, date '9999-12-31')

)

select * from final
