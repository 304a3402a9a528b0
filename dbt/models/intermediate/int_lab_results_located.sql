-- Results with the patient's okrug on the specimen date (unknown when not in the register).
with

results as (

    select * from {{ ref('int_lab_results_filtered') }}

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
