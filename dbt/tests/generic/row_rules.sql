{#-
    A model's row rules in one test: keys that must be unique (a column, or a list of
    columns unique together), columns that must not be null, columns whose non-null
    values must be among the accepted ones, and columns whose non-null values must lie in
    [min, max]. One query, one scan of the model and one dbt node, where a test per
    column and rule was a node and a scan each (decision 0030). A failure returns one row
    per broken rule with its count of offending rows (for a key: the rows beyond the
    first of each value), and the test's failure count is their sum.

        data_tests:
          - row_rules:
              arguments:
                unique_key: [result_id, [patient_key, event_id]]
                not_null: [result_id, patient_key]
                accepted_values: {test_type: [pcr, antigen, antibody]}
                within_range: {ct_grade: [0, 4]}
-#}
{% test row_rules(model, unique_key=[], not_null=[], accepted_values={}, within_range={}) %}
{{ config(fail_calc="coalesce(sum(failing_rows), 0)") }}
{%- set rules = [] -%}
{%- for key in unique_key -%}
{%- if key is string -%}
{%- do rules.append((key ~ " is unique", "count(" ~ key ~ ") - count(distinct " ~ key ~ ")")) -%}
{%- else -%}
{%- set columns = key | join(", ") -%}
{%- do rules.append(("(" ~ columns ~ ") is unique", "count(*) - count(distinct (" ~ columns ~ "))")) -%}
{%- endif -%}
{%- endfor -%}
{%- for column in not_null -%}
{%- do rules.append((column ~ " is not null", "count(*) filter (where " ~ column ~ " is null)")) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
{%- set listed -%}
{%- for value in values %}'{{ value }}'{{ ", " if not loop.last }}{% endfor -%}
{%- endset -%}
{%- set broken = "count(*) filter (where " ~ column ~ " not in (" ~ listed ~ "))" -%}
{%- do rules.append((column ~ " in accepted values", broken)) -%}
{%- endfor -%}
{%- for column, bounds in within_range.items() -%}
{%- set rule = column ~ " within [" ~ bounds[0] ~ ", " ~ bounds[1] ~ "]" -%}
{%- set outside = column ~ " < " ~ bounds[0] ~ " or " ~ column ~ " > " ~ bounds[1] -%}
{%- do rules.append((rule, "count(*) filter (where " ~ outside ~ ")")) -%}
{%- endfor %}

    with counted as (
        select
{%- for rule in rules %}
            {{ rule[1] }} as rule_{{ loop.index }}
            {{- "," if not loop.last }}
{%- endfor %}
        from {{ model }}
    )

    {% for rule in rules -%}
        select
            '{{ rule[0] }}' as broken_rule,
            rule_{{ loop.index }} as failing_rows
        from counted
        where rule_{{ loop.index }} > 0
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

{% endtest %}
