from spark_jobs.common.audit import AuditState, FileStatus, plan_file


def test_a_new_file_is_loaded():
    assert plan_file(AuditState(), "a.ndjson", "lab/2020-01-01/a.ndjson", "s1") == (None, None)


def test_same_name_same_bytes_is_a_duplicate():
    state = AuditState()
    state.remember_loaded("a.ndjson", "s1", "lab/2020-01-01/a.ndjson")
    status, message = plan_file(state, "a.ndjson", "lab/2020-01-05/a.ndjson", "s1")
    assert status is FileStatus.DUPLICATE_SKIPPED
    assert "lab/2020-01-01/a.ndjson" in message


def test_same_name_other_bytes_is_a_conflict_naming_both_files():
    state = AuditState()
    state.remember_loaded("a.ndjson", "s1", "lab/2020-01-01/a.ndjson")
    status, message = plan_file(state, "a.ndjson", "lab/2020-01-05/a.ndjson", "s2")
    assert status is FileStatus.CONFLICT_REJECTED
    assert "lab/2020-01-05/a.ndjson" in message and "lab/2020-01-01/a.ndjson" in message
    assert "nothing loaded was changed" in message
