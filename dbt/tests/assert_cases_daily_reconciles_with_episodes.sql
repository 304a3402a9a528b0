-- Every case episode is counted exactly once in fct_cases_daily.
{{ config(meta={"dagster": {"ref": {"name": "fct_cases_daily"}}}) }}

with

mart as (

    select sum(new_cases) as cases from {{ ref('fct_cases_daily') }}

),

episodes as (

    select count(*) as cases from {{ ref('int_case_episodes') }}

)

select
    mart.cases as mart_cases,
    episodes.cases as episode_cases
from mart
cross join episodes
where mart.cases != episodes.cases
