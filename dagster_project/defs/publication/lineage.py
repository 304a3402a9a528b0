"""Which assets are built from which: the graph a failed gate's hold spreads along.

The feeds' own steps (bronze and quarantine -> the feed's silver tables) and dbt's manifest
(silver sources -> models -> models) give every edge a hold can follow. dbt's tests are not
assets and are left out, and so are the models tagged ``bookkeeping`` (which patients
changed, the calendar's span, rows waiting for the register): they read when and for whom
rows arrived, not the values a gate judges, and every model reads them, so a hold that
spread through them would hold back every mart whatever the failed table.
"""

from __future__ import annotations

import json
from functools import cache

from dagster_project.defs.dbt.assets import TRANSLATOR
from dagster_project.defs.dbt.resources import dbt_project
from dagster_project.defs.feeds.assets import FEEDS

BOOKKEEPING = "bookkeeping"


def _dbt_key(props: dict) -> str | None:
    if props["resource_type"] not in ("model", "seed", "source", "snapshot"):
        return None
    if BOOKKEEPING in props.get("tags", ()):
        return None
    return TRANSLATOR.get_asset_key(props).to_user_string()


@cache
def children() -> dict[str, frozenset[str]]:
    """asset key ("silver/encounters") -> the asset keys built directly from it."""
    edges: dict[str, set[str]] = {}
    for feed in FEEDS:
        silver = {f"silver/{table}" for table in feed.silver_tables}
        for key in [*feed.bronze_keys, feed.quarantine_key]:
            edges.setdefault(key.to_user_string(), set()).update(silver)
    manifest = json.loads(dbt_project().manifest_path.read_text())
    nodes = {**manifest["nodes"], **manifest["sources"]}
    for parent, kids in manifest["child_map"].items():
        parent_key = _dbt_key(nodes[parent]) if parent in nodes else None
        if parent_key is None:
            continue
        for kid in kids:
            kid_key = _dbt_key(nodes[kid]) if kid in nodes else None
            if kid_key is not None:
                edges.setdefault(parent_key, set()).add(kid_key)
    return {key: frozenset(kids) for key, kids in edges.items()}
