-- Home-treated episodes: every SpO2 and temperature reading taken at home in the 28 days
-- from the episode start (before any admission), with the label "escalated to hospital
-- within 7 days of the first reading".
with

episodes as (

    select * from {{ ref('int_case_episodes') }}

),

first_admissions as (

    select
        episode_key,
        min(admission_date) as admission_date
    from {{ ref('int_covid_stays') }}
    where episode_key is not null
    group by episode_key

),

readings as (

    select
        episodes.episode_key,
        episodes.patient_key,
        episodes.episode_start,
        episodes.age_band,
        episodes.sex,
        episodes.okrug,
        first_admissions.admission_date,
        vital_signs.vital_sign,
        vital_signs.value,
        vital_signs.measured_date
    from episodes
    inner join {{ ref('stg_records__vital_signs') }} as vital_signs
        on
            episodes.patient_key = vital_signs.patient_key
            and vital_signs.is_valid
            and vital_signs.vital_sign in ('spo2', 'body_temperature')
            and vital_signs.value is not null
            and vital_signs.measured_date
            between episodes.episode_start and episodes.episode_start + 28
    left join first_admissions on episodes.episode_key = first_admissions.episode_key
    where vital_signs.measured_date < coalesce(first_admissions.admission_date, date '9999-12-31')

),

labelled as (

    select
        *,
        coalesce(
            admission_date - min(measured_date) over (partition by episode_key) <= 7, false
        ) as escalated_within_7d
    from readings

),

final as (

    select
        patient_key,
        episode_key,
        age_band,
        sex,
        okrug,
        strftime(episode_start, '%G-W%V') as episode_week,
        measured_date - episode_start as day,
        vital_sign,
        value,
        escalated_within_7d
    from labelled

)

select * from final
