-- Positives are a subset of tests on every date and test type.
select
    date,
    test_type,
    tests,
    positives
from {{ ref('fct_tests_daily') }}
where positives > tests
