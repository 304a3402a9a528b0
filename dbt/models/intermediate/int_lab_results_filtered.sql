-- "Result" in every mart: the latest version that is final, amended or corrected and
-- not retracted.
with

results as (

    select * from {{ ref('stg_lab__results') }}

),

filtered as (

    select *
    from results
    where
        result_status in ('final', 'amended', 'corrected')
        and not is_retracted

)

select * from filtered
