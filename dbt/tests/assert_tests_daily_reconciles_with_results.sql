-- The mart counts every reportable result exactly once.
{{ config(meta={"dagster": {"ref": {"name": "fct_tests_daily"}}}) }}

with

mart as (

    select sum(tests) as tests from {{ ref('fct_tests_daily') }}

),

results as (

    select count(*) as tests from {{ ref('int_lab_results_filtered') }}

)

select
    mart.tests as mart_tests,
    results.tests as result_tests
from mart
cross join results
where mart.tests != results.tests
