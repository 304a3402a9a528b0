"""The officials' page as one self-contained HTML file: the data, the script and the styles
inline (no CDN, no server, no network)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from dashboards.data import MARTS_SHOWN

STATIC = Path(__file__).resolve().parent / "static"


# The marts each chart is drawn from, for its held-back note.
CHART_MARTS = {
    "tiles": MARTS_SHOWN,
    "curve": ("fct_cases_daily",),
    "okrugs": ("fct_cases_daily",),
    "age-bands": ("fct_cases_daily",),
    "hospital": ("fct_hospital_daily",),
    "tracing": ("fct_tracing_daily",),
    "tracing-24h": ("fct_tracing_daily",),
    "immunity": ("fct_immunity_daily",),
    "coverage": ("fct_immunity_daily", "fct_cases_daily"),
    "monitoring": ("fct_home_monitoring_daily",),
}


def _served(note: dict) -> str:
    return f"figures as published on {note['served']}" if note["served"] else "no figures yet"


def held_banner(view: dict) -> str:
    """One line at the top: what is held back, since when and why."""
    notes = view.get("held") or []
    if not notes:
        return ""
    items = "; ".join(f"{note['mart']} since {note['since']} ({note['why']})" for note in notes)
    return (
        '<div id="held-banner" class="held" role="alert"><strong>Held back:</strong> '
        f"{html.escape(items)}. The charts concerned show the last figures that passed the "
        "checks.</div>"
    )


def held_note(view: dict, chart_id: str) -> str:
    """A chart's note when a mart it is drawn from is held back (empty otherwise)."""
    marts = CHART_MARTS.get(chart_id, ())
    notes = [note for note in view.get("held") or [] if note["mart"] in marts]
    if not notes:
        return ""
    lines = "".join(
        f"<p>Held back since {html.escape(note['since'])}: {html.escape(note['why'])}; "
        f"{html.escape(_served(note))}.</p>"
        f"<details><summary>The check's message</summary>{html.escape(note['detail'] or '')}"
        "</details>"
        for note in notes
    )
    return f'<div class="held held-note" data-chart="{chart_id}">{lines}</div>'


def _figure(chart_id: str, title: str, view: dict) -> str:
    """A chart's frame: heading, legend, the SVG (drawn by app.js), text summary, data table."""
    return f"""
    <figure>
      <h3>{html.escape(title)}</h3>{held_note(view, chart_id)}
      <div class="legend"></div>
      <div id="{chart_id}" class="chart"></div>
      <figcaption></figcaption>
      <details><summary>Data table (last 14 dates shown)</summary><table></table></details>
    </figure>"""


def render_page(view: dict) -> str:
    data = json.dumps(view, separators=(",", ":")).replace("</", "<\\/")
    as_of = html.escape(view.get("as_of") or "no data")
    run = html.escape(view.get("run_id") or "not recorded")
    style = (STATIC / "style.css").read_text()
    script = (STATIC / "app.js").read_text()
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EpiLake: where the epidemic stands (as of {as_of})</title>
<style>
{style}</style>
</head>
<body>
<svg width="0" height="0" aria-hidden="true" style="position:absolute">
  <defs><pattern id="incomplete" width="6" height="6" patternUnits="userSpaceOnUse"
    patternTransform="rotate(45)"><rect width="2" height="6" fill="#bbbbbb"/></pattern></defs>
</svg>
<header>
  <h1>Where the epidemic stands</h1>
  <p>Data as of <strong id="as-of">{as_of}</strong> &middot; pipeline run
  <code id="run-id">{run}</code> &middot; counts of 7 or fewer are redacted and other counts
  rounded to the nearest 5; rates use the rounded counts.</p>
</header>
{held_banner(view)}
<form class="filters" aria-label="Filters" onsubmit="return false">
  <label>Okrug <select id="okrug"></select></label>
  <label>From <input type="date" id="from"></label>
  <label>To <input type="date" id="to"></label>
  <p id="filter-summary" aria-live="polite"></p>
</form>
<main>
  <section aria-labelledby="h-tiles">
    <h2 id="h-tiles">Headline figures: last 7 days against the 7 before</h2>
    {held_note(view, "tiles")}
    <div id="tiles" class="tiles"></div>
  </section>
  <section aria-labelledby="h-curve">
    <h2 id="h-curve">Epidemic curve</h2>
    {_figure("curve", "Daily new cases by specimen date, with the 7-day average", view)}
  </section>
  <section aria-labelledby="h-okrugs">
    <h2 id="h-okrugs">Okrugs compared</h2>
    <div class="okrug-view">
      <div>
        <div id="okrug-grid" class="grid" role="group" aria-label="Okrugs, arranged roughly as on a map"></div>
        <div id="okrug-scale" class="scale" aria-hidden="true"></div>
        <p id="okrug-caption" class="sub"></p>
        {held_note(view, "okrugs")}
      </div>
      <table id="okrug-table"></table>
    </div>
  </section>
  <section aria-labelledby="h-more">
    <h2 id="h-more">Age, hospitals, tracing, immunity and home care</h2>
    <div class="charts">
      {_figure("age-bands", "New cases per week by age band", view)}
      {_figure("hospital", "Hospital and ambulance load", view)}
      {_figure("tracing", "Contact tracing: contacts and index cases per day", view)}
      {_figure("tracing-24h", "Contacts reached within 24 hours", view)}
      {_figure("immunity", "Immune status of residents", view)}
      {_figure("coverage", "Vaccination coverage (fully vaccinated or recovered)", view)}
      {_figure("monitoring", "Home monitoring by telemedicine", view)}
    </div>
  </section>
</main>
<footer>Built by EpiLake from the analysts' warehouse (dbt marts). Definitions: the marts'
documentation in the dbt docs.</footer>
<script type="application/json" id="dashboard-data">{data}</script>
<script>
{script}</script>
</body>
</html>
"""
