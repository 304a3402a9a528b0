import gzip
from datetime import date
from pathlib import Path

import pytest

from spark_jobs.common.landing import decode_file, discover, parse_landing_path, split_lines


@pytest.mark.parametrize(
    ("feed", "relative", "batch", "rtype", "compressed"),
    [
        ("lab", "2020-10-12/lab-1.ndjson", "lab-1", None, False),
        ("lab", "2020-10-12/lab_2.ndjson.gz", "lab_2", None, True),
        (
            "records",
            "2020-10-12/rec-20201012-07.Encounter.ndjson",
            "rec-20201012-07",
            "Encounter",
            False,
        ),
        ("register", "2020-10-12/reg-1.csv", "reg-1", None, False),
        ("tracing", "2020-10-12/tr-1.jsonl.gz", "tr-1", None, True),
    ],
)
def test_contract_names_are_understood(feed, relative, batch, rtype, compressed):
    parsed = parse_landing_path(feed, Path("/landing", feed, relative))
    assert parsed.naming_error is None
    assert (parsed.batch_id, parsed.resource_type, parsed.compressed) == (batch, rtype, compressed)
    assert parsed.delivery_date == date(2020, 10, 12)


@pytest.mark.parametrize(
    ("relative", "message"),
    [
        ("2020-10-12/lab 1.ndjson", "does not match"),
        ("2020-10-12/lab-1.json", "does not match"),
        ("20201012/lab-1.ndjson", "is not YYYY-MM-DD"),
        ("2020-02-30/lab-1.ndjson", "not a calendar date"),
    ],
)
def test_names_that_break_the_contract_are_flagged(relative, message):
    parsed = parse_landing_path("lab", Path("/landing/lab", relative))
    assert message in parsed.naming_error


def test_discover_orders_by_delivery_date_then_name(tmp_path):
    for relative in ["2020-03-02/b.ndjson", "2020-03-01/z.ndjson", "2020-03-02/a.ndjson"]:
        path = tmp_path / "lab" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n")
    names = [f"{f.delivery_date}/{f.file_name}" for f in discover(tmp_path, "lab")]
    assert names == ["2020-03-01/z.ndjson", "2020-03-02/a.ndjson", "2020-03-02/b.ndjson"]
    assert discover(tmp_path, "tracing") == []


def test_crlf_lf_and_trailing_newline():
    assert split_lines("a\r\nb\nc\n") == ["a", "b", "c"]
    assert split_lines("a\n\nb") == ["a", "", "b"]
    assert split_lines("") == []


def test_decode_reports_bad_gzip_and_bad_utf8(tmp_path):
    good = tmp_path / "good.ndjson.gz"
    good.write_bytes(gzip.compress('\ufeff{"a":1}\r\n{"a":2}\n'.encode()))
    decoded = decode_file(good, compressed=True)
    assert decoded.lines == ['{"a":1}', '{"a":2}'] and decoded.error is None
    assert len(decoded.sha256) == 64

    truncated = tmp_path / "truncated.ndjson.gz"
    truncated.write_bytes(good.read_bytes()[:15])
    assert decode_file(truncated, compressed=True).rule == "bad_gzip"

    latin1 = tmp_path / "latin1.ndjson"
    latin1.write_bytes('{"name":"Пётр"}\n'.encode("cp1251"))
    result = decode_file(latin1, compressed=False)
    assert result.rule == "not_utf8" and "byte" in result.error and result.lines is None
