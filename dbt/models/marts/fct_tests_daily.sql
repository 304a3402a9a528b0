with

results as (

    select * from {{ ref('int_lab_results_filtered') }}

),

bounds as (

    select
        min(specimen_date) as first_date,
        max(specimen_date) as last_date
    from results

),

calendar as (

    select cast(days.day as date) as date
    from bounds
    cross join
        generate_series(bounds.first_date, bounds.last_date, interval 1 day) as days (day)

),

test_types as (

    select unnest(['pcr', 'antigen', 'antibody']) as test_type

),

daily as (

    select
        specimen_date as date,
        test_type,
        count(*) as tests,
        count(*) filter (where is_positive) as positives
    from results
    group by specimen_date, test_type

),

pcr_patient_days as (

    select distinct
        specimen_date,
        patient_key,
        is_positive
    from results
    where test_type = 'pcr'

),

pcr_positivity as (

    select
        calendar.date,
        count(distinct pcr_patient_days.patient_key) as patients_tested,
        count(distinct pcr_patient_days.patient_key)
        filter (where pcr_patient_days.is_positive) as patients_positive
    from calendar
    left join pcr_patient_days
        on pcr_patient_days.specimen_date between calendar.date - 6 and calendar.date
    group by calendar.date

),

final as (

    select
        calendar.date,
        test_types.test_type,
        coalesce(daily.tests, 0) as tests,
        coalesce(daily.positives, 0) as positives,
        case
            when test_types.test_type = 'pcr' and pcr_positivity.patients_tested > 0
                then cast(round(
                        100.0 * pcr_positivity.patients_positive / pcr_positivity.patients_tested, 2
                    ) as double)
        end as positivity_rolling_7d
    from calendar
    cross join test_types
    left join daily
        on calendar.date = daily.date and test_types.test_type = daily.test_type
    left join pcr_positivity
        on calendar.date = pcr_positivity.date

)

select * from final
order by date, test_type
