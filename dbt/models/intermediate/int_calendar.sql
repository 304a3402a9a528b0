-- Every local date from the first specimen to the data's as-of date (the newest delivery
-- of the lab, records or register feed): the rows of every daily mart.
-- Bookkeeping: it reads when rows arrived, not the values a gate judges, so a failed gate on
-- one of its sources holds back only that source's own marts (epilake/publication.py).
{{ config(tags=["bookkeeping"]) }}
with

results as (

    select min(specimen_date) as first_date from {{ ref('int_lab_results_filtered') }}

),

deliveries as (

    select delivery_date from {{ ref('stg_lab__results') }}
    union all
    select delivery_date from {{ ref('stg_records__encounters') }}
    union all
    select delivery_date from {{ ref('stg_register__patients') }}

),

as_of as (

    select max(delivery_date) as last_date from deliveries

),

calendar as (

    select cast(days.day as date) as date
    from results
    cross join as_of
    cross join generate_series(results.first_date, as_of.last_date, interval 1 day) as days (day)

)

select * from calendar
