"""sqlfluff's templater: ``var()`` answers with the dbt project's own vars (sqlfluff's stub
would answer with the var's name, which the age band macros cannot loop over)."""

from pathlib import Path

import yaml

_VARS = yaml.safe_load((Path(__file__).resolve().parents[1] / "dbt_project.yml").read_text())[
    "vars"
]


def var(name, default=None):
    return _VARS.get(name, default)
