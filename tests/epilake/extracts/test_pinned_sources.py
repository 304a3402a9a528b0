"""dbt's sources follow EPILAKE_SILVER_VERSIONS, also through a partial parse (real dbt).

An extract's pinned build keeps dbt's parse state from one extract to the next; these
tests hold dbt to re-rendering the sources when the pinned versions change.
"""

import json
import os
import subprocess
from pathlib import Path

from dagster_project.defs.dbt.resources import DBT_PROJECT_DIR, dbt_executable
from epilake.settings import PINNED_VERSIONS_ENV, Settings


def _parse(settings: Settings, target: Path, versions: dict[str, int]) -> dict[str, str]:
    """``dbt parse`` into ``target``; each source's ``delta_scan`` call as dbt rendered it."""
    env = os.environ | settings.export_env() | {PINNED_VERSIONS_ENV: json.dumps(versions)}
    done = subprocess.run(
        [
            dbt_executable(),
            "parse",
            *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
            *("--target-path", str(target), "--log-path", str(target)),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=DBT_PROJECT_DIR,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    manifest = json.loads((target / "manifest.json").read_text())
    return {
        source["name"]: source["meta"]["external_location"]
        for source in manifest["sources"].values()
    }


def _parsed_paths(target: Path) -> int:
    return json.loads((target / "perf_info.json").read_text())["parsed_path_count"]


def test_a_changed_pin_re_renders_the_sources_and_an_unchanged_one_parses_nothing(
    settings, tmp_path
):
    target = tmp_path / "target"
    unpinned = _parse(settings, target, {})
    assert all("version :=" not in scan for scan in unpinned.values())
    whole_project = _parsed_paths(target)

    pinned = _parse(settings, target, {"lab_results": 3, "patients": 2})
    assert pinned["lab_results"].endswith("/silver/lab_results', version := 3)")
    assert pinned["patients"].endswith("/silver/patients', version := 2)")
    assert pinned["contacts"] == unpinned["contacts"]
    assert 0 < _parsed_paths(target) < whole_project  # the sources' files, not the project

    assert _parse(settings, target, {"lab_results": 3, "patients": 2}) == pinned
    assert _parsed_paths(target) == 0
