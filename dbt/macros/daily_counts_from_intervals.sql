{#- How many intervals [from_date, until_date) cover each calendar date, per dimension
    values. Counts +1/-1 changes and sums them up, so the cost follows the number of
    intervals, not intervals x days. Yields date, the dimensions, covered. -#}
{% macro daily_counts_from_intervals(intervals, dimensions) -%}
    {%- set dims = dimensions | join(', ') -%}
    {%- set grid_dims = 'grid.' ~ (dimensions | join(', grid.')) -%}
    {%- set matches = [] -%}
    {%- for d in dimensions -%}
        {%- do matches.append('grid.' ~ d ~ ' = daily_changes.' ~ d) -%}
    {%- endfor -%}
    {%- set join_condition = matches | join(' and ') -%}
    with

    bounds as (

        select
            min(date) as first_date,
            max(date) as last_date
        from {{ ref('int_calendar') }}

    ),

    clipped as (

        select
            {{ dims }},
            greatest(intervals.from_date, bounds.first_date) as from_date,
            intervals.until_date
        from {{ intervals }} as intervals
        cross join bounds
        where
            intervals.until_date > bounds.first_date
            and intervals.from_date <= bounds.last_date
            and intervals.until_date > intervals.from_date

    ),

    changes as (

        select
            {{ dims }},
            from_date as change_date,
            1 as change
        from clipped
        union all
        select
            {{ dims }},
            until_date as change_date,
            -1 as change
        from clipped
        where until_date <= (select bounds.last_date from bounds)

    ),

    daily_changes as (

        select
            {{ dims }},
            change_date,
            sum(change) as change
        from changes
        group by all

    ),

    dimension_values as (

        select distinct {{ dims }} from daily_changes

    ),

    grid as (

        select
            calendar.date,
            dimension_values.*
        from {{ ref('int_calendar') }} as calendar
        cross join dimension_values

    )

    select
        grid.*,
        cast(sum(coalesce(daily_changes.change, 0)) over (
            partition by {{ grid_dims }}
            order by grid.date
            rows between unbounded preceding and current row
        ) as bigint) as covered
    from grid
    left join daily_changes
        on
            grid.date = daily_changes.change_date
            and {{ join_condition }}
{%- endmacro %}
