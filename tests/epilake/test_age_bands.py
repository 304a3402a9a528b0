"""The age bands are defined once, as the dbt var ``age_bands``; every place that has to name
them (the marts' constraints, the extracts' accepted values, the dashboard's order, the
generator's calibration) names exactly those."""

import re
from pathlib import Path

import yaml

from dashboards.data import AGE_BANDS as DASHBOARD_BANDS
from epilake.generator.city import AGE_BANDS as GENERATOR_BANDS

DBT = Path(__file__).resolve().parents[2] / "dbt"
BANDS = [
    band for band, _ in yaml.safe_load((DBT / "dbt_project.yml").read_text())["vars"]["age_bands"]
]


def test_the_bands_are_the_five_of_the_definitions_youngest_first():
    assert BANDS == ["0-17", "18-45", "46-65", "66-79", "80+"]


def test_the_dashboard_and_the_generator_name_the_same_bands():
    assert list(DASHBOARD_BANDS) == BANDS
    assert list(GENERATOR_BANDS) == BANDS


def test_every_list_of_bands_in_the_dbt_project_is_the_definitions():
    lists = []
    for path in DBT.rglob("*.yml"):
        text = path.read_text()
        lists += re.findall(r"age_band in \(([^)]*)\)", text)
        lists += re.findall(r"age_band: \[([^\]]*)\]", text)
    assert lists, "no list of bands found: the test would prove nothing"
    for found in lists:
        names = [name.strip(" '\"") for name in found.split(",")]
        assert names in (BANDS, [*BANDS, "unknown"]), found


def test_no_day_or_month_of_birth_reaches_the_marts_or_extracts():
    """Their columns are their contracts' (enforced for the marts; the extracts' files are
    written from their models' columns)."""
    columns = []
    for layer in ("marts", "extracts"):
        for path in (DBT / "models" / layer).glob("_*.yml"):
            for model in yaml.safe_load(path.read_text()).get("models", []):
                columns += [column["name"] for column in model.get("columns", [])]
    assert "age_band" in columns
    assert not [name for name in columns if "birth" in name]
