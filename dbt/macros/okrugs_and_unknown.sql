{#- The 12 okrugs and `unknown` (patients the register did not hold on the date): the okrug
    rows of every daily mart, so that no count falls out of the totals. -#}
{% macro okrugs_and_unknown() -%}
    select okrug from {{ ref('okrugs') }}
    union all
    select 'unknown' as okrug
{%- endmacro %}
