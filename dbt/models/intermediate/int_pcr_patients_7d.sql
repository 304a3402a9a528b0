-- For each date d and okrug (and the whole city, okrug 'all'): distinct patients with a PCR
-- collected in d-6..d, and those with a positive one. Each patient-day is spread over the
-- seven windows it falls in, so the cost is 7 x patient-days, not days x results.
with

pcr_patient_days as (

    select
        patient_key,
        okrug,
        specimen_date,
        bool_or(is_positive) as is_positive
    from {{ ref('int_lab_results_located') }}
    where test_type = 'pcr'
    group by all

),

windows as (

    select
        pcr_patient_days.patient_key,
        pcr_patient_days.okrug,
        pcr_patient_days.is_positive,
        pcr_patient_days.specimen_date + cast(offsets.days as integer) as window_end
    from pcr_patient_days
    cross join range(7) as offsets (days)

),

by_okrug as (

    select
        window_end,
        okrug,
        count(distinct patient_key) as patients_tested,
        count(distinct patient_key) filter (where is_positive) as patients_positive
    from windows
    group by window_end, okrug

),

city as (

    select
        window_end,
        'all' as okrug,
        count(distinct patient_key) as patients_tested,
        count(distinct patient_key) filter (where is_positive) as patients_positive
    from windows
    group by window_end

)

select * from by_okrug
union all
select * from city
