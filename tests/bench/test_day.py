"""bench.day's copies of a home: parsed once for their own path before the timed run."""

import json
import os
import subprocess

from bench.day import reparse_dbt_targets
from dagster_project.defs.dbt.resources import DBT_PROJECT_DIR, dbt_executable
from epilake.settings import get_settings


def test_a_copied_homes_next_dbt_step_reuses_the_partial_parse(tmp_path, monkeypatch):
    home = tmp_path / "copy"
    target = home / "dbt_target" / "build"
    target.mkdir(parents=True)
    # What a copy brings along: a parse state written for another home (here: unreadable).
    (target / "partial_parse.msgpack").write_bytes(b"parsed for another home")

    assert reparse_dbt_targets(home) == [target]

    # The run's own dbt step, with the environment the pipeline exports for this home.
    monkeypatch.setenv("EPILAKE_HOME", str(home))
    env = os.environ | get_settings().export_env()
    command = [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR)]
    command += ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)]
    subprocess.run(command, env=env, check=True)
    perf = json.loads((target / "perf_info.json").read_text())
    assert perf["is_partial_parse_enabled"]
    assert perf["parsed_path_count"] == 0, "the run's dbt parsed the project again"
