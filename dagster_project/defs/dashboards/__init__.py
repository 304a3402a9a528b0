import dagster as dg

from dagster_project.defs.dashboards.assets import officials_dashboard

defs = dg.Definitions(assets=[officials_dashboard])
