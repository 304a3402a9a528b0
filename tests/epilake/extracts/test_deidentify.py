"""The pure de-identification steps: re-keying, k-anonymity, the split."""

import polars as pl
import pytest

from epilake.extracts.deidentify import (
    assign_split,
    k_anonymise,
    partner_secret,
    rekey,
    split_of,
)

QUASI = ("age_band", "sex", "okrug")


def _rows(groups: dict[tuple[str, str, str], int]) -> pl.DataFrame:
    """``count`` distinct patients per (age band, sex, okrug), one row each."""
    rows = [
        {"patient": f"{band}-{sex}-{okrug}-{n}", "age_band": band, "sex": sex, "okrug": okrug}
        for (band, sex, okrug), count in groups.items()
        for n in range(count)
    ]
    return pl.DataFrame(rows)


def test_partners_get_different_keys_and_the_same_partner_the_same():
    frame = pl.DataFrame({"patient": ["a", "b", None], "other": ["c", None, "a"]})
    first = rekey(frame, ("patient", "other"), partner_secret("platform", "partner-1"))
    again = rekey(frame, ("patient", "other"), partner_secret("platform", "partner-1"))
    second = rekey(frame, ("patient", "other"), partner_secret("platform", "partner-2"))
    assert first.equals(again)
    assert first["patient"][2] is None and first["other"][1] is None
    assert first["patient"][0] == first["other"][2]  # one patient, one key within a partner
    assert not set(first["patient"].drop_nulls()) & set(second["patient"].drop_nulls())
    assert not set(first["patient"].drop_nulls()) & {"a", "b"}


def test_small_groups_are_generalised_to_the_city_then_dropped():
    frame = _rows(
        {
            ("18-45", "male", "CAO"): 12,  # large enough alone
            ("18-45", "female", "SAO"): 6,  # together with ZAO reaches 11 as "city"
            ("18-45", "female", "ZAO"): 5,
            ("80+", "male", "TAO"): 3,  # too small even as "city"
        }
    )
    result, report = k_anonymise(frame, QUASI, "patient", k=11)
    assert report.rows_generalised == 14 and report.rows_dropped == 3
    assert report.smallest_group == 11 and report.as_dict()["holds"]
    assert result.height == 23
    assert set(result["okrug"]) == {"CAO", "city"}
    sizes = result.group_by(list(QUASI)).agg(pl.col("patient").n_unique().alias("n"))
    assert sizes["n"].min() >= 11


def test_groups_count_patients_not_rows():
    # One patient with 20 readings is still one person.
    frame = pl.DataFrame(
        {
            "patient": ["p"] * 20,
            "age_band": ["18-45"] * 20,
            "sex": ["male"] * 20,
            "okrug": ["CAO"] * 20,
        }
    )
    result, report = k_anonymise(frame, QUASI, "patient", k=2)
    assert result.height == 0 and report.rows_dropped == 20 and report.smallest_group is None


def test_the_split_is_by_patient_and_deterministic():
    keys = [f"key-{n}" for n in range(4000)]
    frame = pl.DataFrame({"patient": keys + keys[:100], "row": range(4100)})
    split = assign_split(frame, "patient")
    per_patient = split.group_by("patient").agg(pl.col("split").n_unique().alias("n"))
    assert per_patient["n"].max() == 1
    shares = split.filter(pl.col("row") < 4000)["split"].value_counts()
    share = dict(zip(shares["split"], shares["count"], strict=True))
    assert share["train"] == pytest.approx(3200, abs=150)
    assert share["validation"] == pytest.approx(400, abs=80)
    assert share["test"] == pytest.approx(400, abs=80)
    assert [split_of(k) for k in keys[:50]] == [split_of(k) for k in keys[:50]]
