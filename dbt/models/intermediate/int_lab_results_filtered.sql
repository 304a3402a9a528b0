-- A view: a plain filter that several models read, each for a few columns; as a table it
-- cost 2-4 s a run to write 1.2 M rows that are read once.
{{ config(materialized="view") }}

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
