with

results as (

    select * from {{ ref('int_lab_results_located') }}

),

places as (

    {{ okrugs_and_unknown() }}

),

test_types as (

    select unnest(['pcr', 'antigen', 'antibody']) as test_type

),

grid as (

    select
        calendar.date,
        places.okrug,
        test_types.test_type
    from {{ ref('int_calendar') }} as calendar
    cross join places
    cross join test_types

),

daily as (

    select
        specimen_date as date,
        okrug,
        test_type,
        count(*) as tests,
        count(*) filter (where is_positive) as positives
    from results
    group by all

),

positivity as (

    select
        window_end as date,
        okrug,
        patients_tested,
        patients_positive
    from {{ ref('int_pcr_patients_7d') }}

),

final as (

    select
        grid.date,
        grid.okrug,
        grid.test_type,
        coalesce(daily.tests, 0) as tests,
        coalesce(daily.positives, 0) as positives,
        case
            when grid.test_type = 'pcr' and positivity.patients_tested > 0
                then cast(round(
                        100.0 * positivity.patients_positive / positivity.patients_tested, 2
                    ) as double)
        end as positivity_rolling_7d
    from grid
    left join daily
        on
            grid.date = daily.date
            and grid.okrug = daily.okrug
            and grid.test_type = daily.test_type
    left join positivity
        on grid.date = positivity.date and grid.okrug = positivity.okrug

)

select * from final
order by date, okrug, test_type
