with

consultations as (

    select
        patient_key,
        start_date as date
    from {{ ref('stg_records__encounters') }}
    where class_code = 'VR' and took_place

),

vital_signs as (

    select * from {{ ref('stg_records__vital_signs') }}
    where is_valid

),

monitored as (

    select distinct
        patient_key,
        date
    from (
        select
            patient_key,
            date
        from consultations
        union all
        select
            patient_key,
            measured_date as date
        from vital_signs
    ) as monitored_days

),

escalations as (

    -- Patients monitored in d-7..d-1 with a COVID stay starting on d.
    select distinct
        stays.patient_key,
        stays.admission_date as date
    from {{ ref('int_covid_stays') }} as stays
    inner join monitored
        on
            stays.patient_key = monitored.patient_key
            and monitored.date between stays.admission_date - 7 and stays.admission_date - 1

),

events as (

    select
        patient_key,
        date,
        'monitored' as measure
    from monitored
    union all
    select
        patient_key,
        date,
        'consultation' as measure
    from consultations
    union all
    select
        patient_key,
        measured_date as date,
        'low_spo2' as measure
    from vital_signs
    where vital_sign = 'spo2' and value < 94
    union all
    select
        patient_key,
        date,
        'escalated' as measure
    from escalations

),

located as (

    select
        events.date,
        events.measure,
        coalesce(version.okrug, 'unknown') as okrug
    from events
    {{ join_register_version('version', 'events.patient_key', 'events.date') }}

),

daily as (

    select
        date,
        okrug,
        count(*) filter (where measure = 'monitored') as patients_monitored,
        count(*) filter (where measure = 'consultation') as consultations,
        count(*) filter (where measure = 'low_spo2') as low_spo2_alerts,
        count(*) filter (where measure = 'escalated') as escalated_to_hospital
    from located
    group by date, okrug

),

places as (

    {{ okrugs_and_unknown() }}

),

final as (

    select
        calendar.date,
        places.okrug,
        coalesce(daily.patients_monitored, 0) as patients_monitored,
        coalesce(daily.consultations, 0) as consultations,
        coalesce(daily.low_spo2_alerts, 0) as low_spo2_alerts,
        coalesce(daily.escalated_to_hospital, 0) as escalated_to_hospital
    from {{ ref('int_calendar') }} as calendar
    cross join places
    left join daily
        on calendar.date = daily.date and places.okrug = daily.okrug

)

select * from final
order by date, okrug
