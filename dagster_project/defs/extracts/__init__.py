import dagster as dg

from dagster_project.defs.extracts.assets import demo_partner_extracts

defs = dg.Definitions(assets=[demo_partner_extracts])
