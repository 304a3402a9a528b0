-- Case episodes: a patient's first positive PCR or antigen result by specimen date; a
-- positive 91 or more days after the start of the previous episode starts a new one.
{{ config(
    materialized="incremental",
    incremental_strategy="append",
    pre_hook="{{ delete_changed_patients('patient_key') }}",
    post_hook="{{ record_patient_changes_consumed() }}",
) }}
-- depends_on: {{ ref('int_patient_changes') }}
with recursive

positives as (

    select
        patient_key,
        result_id,
        specimen_date,
        collected_at,
        issued_at
    from {{ ref('int_lab_results_filtered') }}
    where
        is_positive and test_type in ('pcr', 'antigen')
        and {{ changed_patients_only('patient_key') }}

),

episode_starts (patient_key, episode_number, episode_start) as (

    select
        patient_key,
        1,
        min(specimen_date)
    from positives
    group by patient_key

    union all

    select
        previous.patient_key,
        previous.episode_number + 1,
        min(positives.specimen_date)
    from episode_starts as previous
    inner join positives
        on
            previous.patient_key = positives.patient_key
            and positives.specimen_date >= previous.episode_start + 91
    group by previous.patient_key, previous.episode_number

),

episodes as (

    select
        patient_key,
        episode_number,
        episode_start,
        lead(episode_start) over (
            partition by patient_key order by episode_number
        ) as next_episode_start
    from episode_starts

),

first_positives as (

    select
        episodes.patient_key,
        episodes.episode_number,
        positives.result_id,
        positives.issued_at,
        row_number() over (
            partition by episodes.patient_key, episodes.episode_number
            order by positives.collected_at, positives.result_id
        ) as position
    from episodes
    inner join positives
        on
            episodes.patient_key = positives.patient_key
            and episodes.episode_start = positives.specimen_date

),

final as (

    select
        md5(episodes.patient_key || '/' || episodes.episode_number) as episode_key,
        episodes.patient_key,
        episodes.episode_number,
        episodes.episode_start,
        episodes.next_episode_start,
        first_positives.result_id as first_positive_result_id,
        first_positives.issued_at as first_positive_issued_at,
        version.patient_key is not null as is_in_register,
        coalesce(version.okrug, 'unknown') as okrug,
        coalesce(version.sex, 'unknown') as sex,
        {{ age_band('version.birth_year', 'version.birth_month', 'episodes.episode_start') }}
            as age_band
    from episodes
    inner join first_positives
        on
            episodes.patient_key = first_positives.patient_key
            and episodes.episode_number = first_positives.episode_number
            and first_positives.position = 1
    {{ join_register_version('version', 'episodes.patient_key', 'episodes.episode_start') }}

)

select * from final
