"""Data Docs: a failing validation's page at once, the passing ones in one batch later."""

import great_expectations as gx
import pandas as pd

from expectations.runner import build_pending_data_docs, validate_dataframe


def _suite(name: str) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=name,
        expectations=[gx.expectations.ExpectColumnValuesToNotBeNull(column="patient_key")],
    )


def _pages(docs) -> list:
    return sorted((docs / "validations").rglob("*.html")) if docs.exists() else []


def test_passing_pages_wait_for_the_batch_and_failing_ones_do_not(tmp_path):
    docs = tmp_path / "data_docs"
    good = pd.DataFrame({"patient_key": ["a", "b"]})
    bad = pd.DataFrame({"patient_key": ["a", None]})

    assert validate_dataframe(good, _suite("docs_test__passing"), docs).passed
    assert _pages(docs) == []  # nothing rendered before the dashboard
    assert build_pending_data_docs(docs) == 1
    assert [p for p in _pages(docs) if "docs_test__passing" in str(p)]
    assert "docs_test__passing" in (docs / "index.html").read_text()

    assert not validate_dataframe(bad, _suite("docs_test__failing"), docs).passed
    assert [p for p in _pages(docs) if "docs_test__failing" in str(p)]  # no batch needed
    assert "docs_test__failing" in (docs / "index.html").read_text()
    assert build_pending_data_docs(docs) == 0
