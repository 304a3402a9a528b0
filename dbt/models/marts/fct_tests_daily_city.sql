-- The whole city's tests: the sum of fct_tests_daily over okrugs, with positivity over
-- distinct patients city-wide (which a sum of okrug rows cannot give).
with

by_okrug as (

    select * from {{ ref('fct_tests_daily') }}

),

positivity as (

    select * from {{ ref('int_pcr_patients_7d') }}
    where okrug = 'all'

),

daily as (

    select
        date,
        test_type,
        sum(tests) as tests,
        sum(positives) as positives
    from by_okrug
    group by date, test_type

),

final as (

    select
        daily.date,
        daily.test_type,
        cast(daily.tests as bigint) as tests,
        cast(daily.positives as bigint) as positives,
        case
            when daily.test_type = 'pcr' and positivity.patients_tested > 0
                then cast(round(
                        100.0 * positivity.patients_positive / positivity.patients_tested, 2
                    ) as double)
        end as positivity_rolling_7d
    from daily
    left join positivity
        on daily.date = positivity.window_end

)

select * from final
order by date, test_type
