import dagster as dg

from dagster_project.defs.feeds.assets import ASSETS
from dagster_project.defs.feeds.checks import CHECKS

defs = dg.Definitions(assets=ASSETS, asset_checks=CHECKS)
