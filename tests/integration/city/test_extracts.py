"""AI partners' extracts from the generated city: de-identified, k-anonymous, reproducible."""

import json
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner
from deltalake import DeltaTable

from epilake.cli import main
from epilake.extracts.specs import EXTRACTS
from tests.integration.conftest import landing_identifiers

pytestmark = pytest.mark.integration
K = 2  # the test city is small: with k = 11 almost every row would be suppressed


def _extract(city, monkeypatch, name, partner, out, *extra):
    for variable, value in city.settings.export_env().items():
        monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(
        main, ["extract", name, "--partner", partner, "--out", str(out), "--k", str(K), *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def extracts(city, tmp_path_factory):
    """Every extract for two partners, and the first one again with the same --as-of."""
    root = tmp_path_factory.mktemp("extracts")
    made = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in EXTRACTS:
            for partner in ("lab-a", "lab-b"):
                made[name, partner] = _extract(
                    city, monkeypatch, name, partner, root / partner / name
                )
            # Rebuilt from the first extract's manifest: the same pinned Delta versions.
            as_of = str(root / "lab-a" / name / "manifest.json")
            made[name, "again"] = _extract(
                city, monkeypatch, name, "lab-a", root / "again" / name, "--as-of", as_of
            )
    return root, made


def _frame(root: Path, partner: str, name: str) -> pl.DataFrame:
    return pl.read_parquet(
        root / partner / name / "data" / "**" / "*.parquet", hive_partitioning=True
    )


def test_the_pipeline_writes_every_extract_for_the_demo_partner(city):
    for name in EXTRACTS:
        manifest = json.loads(
            (city.settings.home / "extracts" / "demo" / name / "manifest.json").read_text()
        )
        assert manifest["k_anonymity"]["k"] == 11 and manifest["k_anonymity"]["holds"]
        assert manifest["rows"] == sum(f["rows"] for f in manifest["files"])


def test_every_extract_has_rows_a_manifest_and_a_datasheet(extracts):
    root, made = extracts
    for name in EXTRACTS:
        manifest = made[name, "lab-a"]
        assert manifest["k_anonymity"]["rows_before"] > 10 and manifest["rows"] > 0, name
        assert set(manifest["source_versions"]) == {
            f"silver/{t}" for t in EXTRACTS[name].silver_tables
        }
        assert len(manifest["definition_sha256"]) == 64
        assert {f["split"] for f in manifest["files"]} == {"train", "validation", "test"}
        sheet = (root / "lab-a" / name / "datasheet.md").read_text()
        for heading in ("## Columns", "## How the data arose", "## Known biases", "## Allowed use"):
            assert heading in sheet
        for column in manifest["columns"]:
            assert f"`{column['name']}`" in sheet


def test_a_pinned_build_at_the_previous_versions_parses_nothing_and_leaves_no_scratch(
    city, extracts
):
    # The fixture's last extract repeats the previous one's versions (--as-of its manifest).
    scratch = city.settings.home / "dbt_target" / "extract"
    last_invocation = (scratch / "dbt.log").read_text().rsplit("Running with dbt=", 1)[1]
    assert "no changes found, skipping parsing" in last_invocation
    assert not (scratch / "extract.duckdb").exists()


def test_k_anonymity_holds_on_every_written_extract(extracts):
    root, made = extracts
    for name, spec in EXTRACTS.items():
        frame = _frame(root, "lab-a", name)
        sizes = frame.group_by(list(spec.quasi_identifiers)).agg(
            pl.col(spec.person_column).n_unique().alias("patients")
        )
        assert sizes["patients"].min() >= K, name
        report = made[name, "lab-a"]["k_anonymity"]
        assert report["holds"] and report["rows_before"] == frame.height + report["rows_dropped"]


def test_no_identifier_from_the_landing_files_appears_in_any_extract(city, extracts):
    identifiers = landing_identifiers(city.landing)
    root, _ = extracts
    for path in root.rglob("*.parquet"):
        frame = pl.read_parquet(path)
        values = {
            value
            for column in frame.columns
            if frame[column].dtype == pl.String
            for value in frame[column].drop_nulls()
        }
        assert values.isdisjoint(identifiers), path


def test_two_partners_keys_never_match_and_the_platform_key_never_appears(city, extracts):
    root, _ = extracts
    import duckdb

    with duckdb.connect(str(city.settings.warehouse), read_only=True) as connection:
        platform = {
            k
            for (k,) in connection.execute("select patient_key from marts.dim_patients").fetchall()
        }
    for name, spec in EXTRACTS.items():
        columns = [spec.person_column, *spec.other_key_columns]
        keys = {
            partner: {v for c in columns for v in _frame(root, partner, name)[c].drop_nulls()}
            for partner in ("lab-a", "lab-b")
        }
        assert keys["lab-a"] and keys["lab-b"]
        assert keys["lab-a"].isdisjoint(keys["lab-b"]), name
        assert keys["lab-a"].isdisjoint(platform), name


def test_the_same_as_of_gives_byte_identical_files(extracts):
    root, made = extracts
    for name in EXTRACTS:
        first, again = made[name, "lab-a"], made[name, "again"]
        assert [f["sha256"] for f in first["files"]] == [f["sha256"] for f in again["files"]]
        for file in first["files"]:
            a = (root / "lab-a" / name / file["path"]).read_bytes()
            b = (root / "again" / name / file["path"]).read_bytes()
            assert a == b


def test_the_split_never_puts_one_patient_in_two_splits(extracts):
    root, _ = extracts
    for name, spec in EXTRACTS.items():
        frame = _frame(root, "lab-a", name)
        spans = frame.group_by(spec.person_column).agg(pl.col("split").n_unique().alias("n"))
        assert spans["n"].max() == 1, name


def test_extracts_load_with_pandas_polars_and_pyarrow_datasets(extracts):
    root, made = extracts
    for name in EXTRACTS:
        folder = root / "lab-a" / name / "data"
        rows = made[name, "lab-a"]["rows"]
        assert len(pd.read_parquet(folder)) == rows
        assert _frame(root, "lab-a", name).height == rows
        dataset = ds.dataset(folder, format="parquet", partitioning="hive")
        assert dataset.count_rows() == rows
        assert "split" in dataset.schema.names


def test_every_extract_is_audited(city, extracts):
    _, made = extracts
    audit = DeltaTable(city.settings.table_path("ops", "extract_audit")).to_pyarrow_table()
    rows = audit.to_pylist()
    for (name, partner), manifest in made.items():
        partner = "lab-a" if partner == "again" else partner
        logged = [r for r in rows if r["extract"] == name and r["partner"] == partner]
        assert logged and all(r["rows"] == manifest["rows"] for r in logged)
        assert json.loads(logged[-1]["source_versions"]) == {
            t.removeprefix("silver/"): v for t, v in manifest["source_versions"].items()
        }


def test_a_clear_error_for_an_unknown_extract_or_partner(city, monkeypatch, tmp_path):
    for variable, value in city.settings.export_env().items():
        monkeypatch.setenv(variable, value)
    unknown = CliRunner().invoke(
        main, ["extract", "x_rays", "--partner", "a", "--out", str(tmp_path)]
    )
    assert (
        unknown.exit_code != 0 and "choose one of contacts_network, ct_outcomes" in unknown.output
    )
    bad = CliRunner().invoke(
        main, ["extract", "ct_outcomes", "--partner", "a b", "--out", str(tmp_path)]
    )
    assert bad.exit_code != 0 and "Partner id" in bad.output
    late = CliRunner().invoke(
        main,
        [
            "extract",
            "ct_outcomes",
            "--partner",
            "a",
            "--out",
            str(tmp_path),
            "--as-of",
            "1999-01-01",
        ],
    )
    assert late.exit_code != 0 and "did not exist yet" in late.output
