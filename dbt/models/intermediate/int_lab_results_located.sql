-- Results with the patient's okrug on the specimen date (unknown when not in the register).
{{ config(
    materialized="incremental",
    incremental_strategy="append",
    pre_hook="{{ delete_changed_patients('patient_key') }}",
    post_hook="{{ record_patient_changes_consumed() }}",
) }}
-- depends_on: {{ ref('int_patient_changes') }}
with

results as (

    select * from {{ ref('int_lab_results_filtered') }}
    where {{ changed_patients_only('patient_key') }}

),

located as (

    select
        results.result_id,
        results.patient_key,
        results.test_type,
        results.is_positive,
        results.specimen_date,
        results.collected_at,
        results.issued_at,
        coalesce(version.okrug, 'unknown') as okrug
    from results
    {{ join_register_version('version', 'results.patient_key', 'results.specimen_date') }}

)

select * from located
