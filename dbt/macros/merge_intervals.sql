{#- Merge overlapping or touching intervals [from_date, until_date) per key, so that a
    patient covered twice on a date (two antibody results, two episodes) counts once. -#}
{% macro merge_intervals(intervals, keys) -%}
    {%- set key_list = keys | join(', ') -%}
    with

    ordered as (

        select
            {{ key_list }},
            from_date,
            until_date,
            max(until_date) over (
                partition by {{ key_list }}
                order by from_date, until_date
                rows between unbounded preceding and 1 preceding
            ) as reached_before
        from {{ intervals }}

    ),

    numbered as (

        select
            *,
            sum(case when reached_before is null or from_date > reached_before then 1 else 0 end)
                over (
                    partition by {{ key_list }}
                    order by from_date, until_date
                    rows between unbounded preceding and current row
                ) as island
        from ordered

    )

    select
        {{ key_list }},
        min(from_date) as from_date,
        max(until_date) as until_date
    from numbered
    group by {{ key_list }}, island
{%- endmacro %}
