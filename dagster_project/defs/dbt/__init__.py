import dagster as dg

from dagster_project.defs.dbt.assets import (
    analyst_models,
    extract_models,
    warehouse_docs,
    warehouse_models,
)
from dagster_project.defs.dbt.resources import dbt_resource

defs = dg.Definitions(
    assets=[warehouse_models, analyst_models, extract_models, warehouse_docs],
    resources={"dbt": dbt_resource()},
)
