"""``datasheet.md``: what an extract holds, how it arose, its biases and its allowed use
(after Gebru et al., "Datasheets for Datasets")."""

from __future__ import annotations

from pathlib import Path

import yaml

from epilake.extracts.specs import ExtractSpec

ALLOWED_USE = """\
Training and evaluating models for the city's pandemic response, under the partner's data
sharing agreement. Not allowed: any attempt to re-identify a person, linking these rows with
any other data (including other EpiLake extracts: keys are re-keyed per partner on purpose),
passing the data on, or keeping it after the agreement ends. Report suspected disclosure
risks to the EpiLake data engineering team."""


def column_descriptions(spec: ExtractSpec, dbt_project: Path) -> dict[str, str]:
    """The column descriptions reviewed with the dbt model (``_extracts__models.yml``)."""
    document = yaml.safe_load(
        (dbt_project / "models" / "extracts" / "_extracts__models.yml").read_text()
    )
    model = next(m for m in document["models"] if m["name"] == spec.model)
    return {c["name"]: " ".join(c.get("description", "").split()) for c in model["columns"]}


def render_datasheet(spec: ExtractSpec, manifest: dict, dbt_project: Path) -> str:
    meaning = column_descriptions(spec, dbt_project)
    k = manifest["k_anonymity"]
    columns = "\n".join(
        f"| `{c['name']}` | {c['type']} | {meaning.get(c['name'], '')} |"
        for c in manifest["columns"]
    )
    versions = ", ".join(f"`{t}` v{v}" for t, v in manifest["source_versions"].items())
    splits = ", ".join(
        f"{name} {s['rows']:,} rows / {s['patients']:,} patients"
        for name, s in manifest["splits"].items()
    )
    return f"""# Datasheet: `{spec.name}` for partner `{manifest["partner"]}`

{manifest["rows"]:,} rows, {manifest["patients"]:,} patients. Definition sha256
`{manifest["definition_sha256"]}`; sources {versions}. Rebuild it bit for bit with
`epilake extract {spec.name} --partner {manifest["partner"]} --as-of <the same --as-of>`.

## Columns

| column | type | meaning |
| --- | --- | --- |
{columns}

Files: `data/split=<train|validation|test>/part-0.parquet` (Hive layout: the split is the
folder). `manifest.json` lists each file's sha256.

## How the data arose

{spec.how_it_arose}

## De-identification

- No direct identifier (name, phone, policy number, address, birth date, platform patient
  id) is present. Patient keys are re-keyed for this partner with a partner-specific
  secret: they match nothing in other partners' extracts or in EpiLake.
- Dates are days relative to the case episode start; only coarse weeks remain as
  quasi-identifiers.
- k-anonymity with k = {k["k"]} over {", ".join(f"`{q}`" for q in k["quasi_identifiers"])},
  counting distinct patients: {k["rows_generalised"]:,} rows had their okrug generalised to
  `city`, {k["rows_dropped"]:,} rows in still-smaller groups were dropped; the smallest group
  written has {k["smallest_group"]} patients.

## Splits

Deterministic by patient (a hash of the partner's key), so one patient never spans splits:
{splits}.

## Known biases

{spec.known_biases}

## Allowed use

{ALLOWED_USE}
"""
