"""The dbt docs site is kept only while what it is generated from is unchanged."""

import duckdb
import pytest

from dagster_project.defs.dbt import docs_state
from dagster_project.defs.dbt.resources import DBT_PROJECT_DIR

FILES = [("models/a.sql", b"select 1"), ("models/b.yml", b"version: 2")]
ENV = {"EPILAKE_LAKE": "/lake"}
ROWS = [("marts", "fct", 1, "day", "DATE", "The calendar day.")]


def _print(files=FILES, env=ENV, rows=ROWS, dbt_version="1.11.16") -> str:
    return docs_state.fingerprint(files, env, rows, dbt_version)


def test_the_fingerprint_ignores_file_order_and_sees_every_input():
    assert _print() == _print(files=list(reversed(FILES)))
    changed = [
        _print(files=[FILES[0], ("models/b.yml", b"version: 2\n")]),
        _print(files=FILES[:1]),
        _print(env={"EPILAKE_LAKE": "/elsewhere"}),
        _print(rows=[("marts", "fct", 1, "day", "DATE", "Another comment.")]),
        _print(rows=[*ROWS, ("marts", "fct", 2, "cases", "BIGINT", None)]),
        _print(dbt_version="1.11.17"),
    ]
    assert len({_print(), *changed}) == len(changed) + 1


def test_project_files_are_the_sources_not_dbt_outputs(tmp_path):
    generated = ["target/run/m.sql", "logs/a.md", ".user.yml", "models/.hidden/h.sql"]
    for name in ["models/m.sql", "macros/x.sql", "seeds/s.csv", *generated]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "dbt_project.yml").write_text("name: x")
    found = {p.relative_to(tmp_path).as_posix() for p in docs_state.project_files(tmp_path)}
    assert found == {"models/m.sql", "macros/x.sql", "seeds/s.csv", "dbt_project.yml"}


def test_the_project_reads_the_lake_and_warehouse_from_the_environment():
    contents = [p.read_bytes() for p in docs_state.project_files(DBT_PROJECT_DIR)]
    names = docs_state.env_read_by(contents)
    assert {"EPILAKE_LAKE", "EPILAKE_BUILD_WAREHOUSE", "EPILAKE_SILVER_VERSIONS"} <= names
    assert "EPILAKE_SPARK_REMOTE" not in names


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.fct (day date, cases bigint)")
    return path


def test_the_fingerprint_follows_the_warehouse_columns_and_the_settings_dbt_reads(warehouse):
    env = {"EPILAKE_LAKE": "/lake", "EPILAKE_BUILD_WAREHOUSE": str(warehouse)}
    first = docs_state.docs_fingerprint(DBT_PROJECT_DIR, warehouse, env)
    assert docs_state.docs_fingerprint(DBT_PROJECT_DIR, warehouse, env) == first
    # A variable dbt does not read changes nothing; one it reads does.
    unread = {**env, "EPILAKE_SPARK_REMOTE": "sc://127.0.0.1:15002"}
    assert docs_state.docs_fingerprint(DBT_PROJECT_DIR, warehouse, unread) == first
    moved = {**env, "EPILAKE_LAKE": "/other"}
    assert docs_state.docs_fingerprint(DBT_PROJECT_DIR, warehouse, moved) != first
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("comment on column marts.fct.cases is 'New cases.'")
    commented = docs_state.docs_fingerprint(DBT_PROJECT_DIR, warehouse, env)
    assert commented != first
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("alter table marts.fct add column deaths bigint")
    assert docs_state.docs_fingerprint(DBT_PROJECT_DIR, warehouse, env) not in {first, commented}


def test_a_site_is_current_only_when_complete_and_marked_with_the_same_fingerprint(tmp_path):
    site = tmp_path / "dbt_docs"
    site.mkdir()
    for name in docs_state.SITE_FILES:
        (site / name).write_text("{}")
    assert not docs_state.is_current(site, "abc")  # never marked: an older EpiLake's site
    docs_state.mark_current(site, "abc")
    assert docs_state.is_current(site, "abc")
    assert not docs_state.is_current(site, "abd")
    (site / "catalog.json").unlink()
    assert not docs_state.is_current(site, "abc")
