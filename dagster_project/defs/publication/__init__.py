import dagster as dg

from dagster_project.defs.publication.assets import PUBLICATIONS

defs = dg.Definitions(assets=PUBLICATIONS)
