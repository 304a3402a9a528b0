"""The officials' page as one self-contained HTML file (inline SVG and CSS, no CDN)."""

from __future__ import annotations

import html
import json

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
COLOURS = {"pcr": "#0072B2", "antigen": "#E69F00", "antibody": "#009E73", "positivity": "#D55E00"}
WIDTH, HEIGHT, PAD = 960, 320, 48


def _fmt(value) -> str:
    if value is None:
        return '<span class="redacted" title="fewer than 8: suppressed">[REDACTED]</span>'
    if isinstance(value, float):
        return f"{value:.1f}%"
    return f"{value:,}"


def _change(now, before) -> str:
    if now is None or before is None:
        return ""
    delta = now - before
    arrow = "▲" if delta > 0 else ("▼" if delta < 0 else "■")
    shown = f"{delta:+.1f} pp" if isinstance(now, float) else f"{delta:+,}"
    return f'<span class="change">{arrow} {shown} vs previous 7 days</span>'


def _tile(label: str, now, before) -> str:
    return (
        f'<div class="tile"><div class="label">{html.escape(label)}</div>'
        f'<div class="value" data-figure="{html.escape(label)}">{_fmt(now)}</div>{_change(now, before)}</div>'
    )


def _chart(series: list[dict]) -> str:
    """Stacked daily tests by type (bars) with 7-day PCR positivity (line, right axis)."""
    if not series:
        return "<p>No results yet.</p>"
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    totals = [sum(d[f"tests_{t}"] or 0 for t in COLOURS if t != "positivity") for d in series]
    top = max(max(totals), 1)
    step = inner_w / len(series)
    bars, points = [], []
    for i, day in enumerate(series):
        y = HEIGHT - PAD
        for test_type in ("pcr", "antigen", "antibody"):
            value = day[f"tests_{test_type}"] or 0
            h = inner_h * value / top
            y -= h
            bars.append(
                f'<rect x="{PAD + i * step:.1f}" y="{y:.1f}" width="{max(step - 1, 0.5):.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[test_type]}"><title>{day["date"]} '
                f"{test_type}: {_plain(day[f'tests_{test_type}'])}</title></rect>"
            )
        if day["pcr_positivity_7d"] is not None:
            py = HEIGHT - PAD - inner_h * min(day["pcr_positivity_7d"], 100) / 100
            points.append(f"{PAD + (i + 0.5) * step:.1f},{py:.1f}")
    line = (
        f'<polyline fill="none" stroke="{COLOURS["positivity"]}" stroke-width="2.5" '
        f'points="{" ".join(points)}"/>'
        if points
        else ""
    )
    axis = (
        f'<text x="{PAD}" y="{PAD - 10}" class="axis">tests per day (max {top:,})</text>'
        f'<text x="{WIDTH - PAD}" y="{PAD - 10}" class="axis" text-anchor="end">PCR positivity, 0-100%</text>'
        f'<text x="{PAD}" y="{HEIGHT - PAD + 18}" class="axis">{series[0]["date"]}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 18}" class="axis" text-anchor="end">{series[-1]["date"]}</text>'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#555"/>'
    )
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" '
        f'preserveAspectRatio="xMidYMid meet"><title id="chart-title">Daily tests by type and '
        f'7-day PCR positivity</title><desc id="chart-desc">{html.escape(_describe(series))}</desc>'
        f"{axis}{''.join(bars)}{line}</svg>"
    )


def _plain(value) -> str:
    return "suppressed" if value is None else f"{value:,}"


def _describe(series: list[dict]) -> str:
    peak = max(
        series, key=lambda d: sum(d[f"tests_{t}"] or 0 for t in ("pcr", "antigen", "antibody"))
    )
    last = series[-1]
    return (
        f"{len(series)} days from {series[0]['date']} to {last['date']}. The busiest day was "
        f"{peak['date']}. On {last['date']} 7-day PCR positivity was "
        f"{'suppressed' if last['pcr_positivity_7d'] is None else str(last['pcr_positivity_7d']) + '%'}."
    )


def _table(recent: list[dict]) -> str:
    head = "".join(
        f"<th scope='col'>{h}</th>"
        for h in (
            "Date",
            "PCR tests",
            "PCR positive",
            "Antigen tests",
            "Antigen positive",
            "Antibody tests",
            "Antibody positive",
            "PCR positivity (7 days)",
        )
    )
    rows = "".join(
        "<tr>"
        + f"<th scope='row'>{d['date']}</th>"
        + "".join(
            f"<td>{_fmt(d[f'{kind}_{t}'])}</td>"
            for t in ("pcr", "antigen", "antibody")
            for kind in ("tests", "positives")
        )
        + f"<td>{_fmt(d['pcr_positivity_7d'])}</td></tr>"
        for d in recent
    )
    return f"<table><caption>Latest 14 days</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def render_page(view: dict) -> str:
    tiles = view["tiles"]
    legend = "".join(f'<span><i style="background:{c}"></i>{n}</span>' for n, c in COLOURS.items())
    data = json.dumps(view, separators=(",", ":")).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EpiLake — testing dashboard</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }}
header, main {{ max-width: 1040px; margin: 0 auto; padding: 1rem; }}
header p {{ color: #555; margin: 0.2rem 0; }}
.tiles {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 0.8rem; }}
.tile {{ background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.8rem; }}
.tile .label {{ font-size: 0.9rem; color: #444; }}
.tile .value {{ font-size: 1.8rem; font-weight: 600; }}
.change {{ font-size: 0.85rem; color: #444; }}
figure {{ background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 1rem 0; padding: 0.5rem; }}
svg {{ width: 100%; height: auto; }}
.axis {{ font-size: 12px; fill: #333; }}
.legend span {{ margin-right: 1rem; font-size: 0.9rem; }}
.legend i {{ display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }}
table {{ border-collapse: collapse; width: 100%; background: #fff; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: right; }}
caption {{ text-align: left; font-weight: 600; padding: 0.4rem 0; }}
.redacted {{ color: #777; font-size: 0.8em; }}
</style>
</head>
<body>
<header>
<h1>Testing: where the city stands</h1>
<p>Data as of <strong id="as-of">{view["as_of"] or "—"}</strong> (specimen date, Moscow time) · run <code>{html.escape(str(view["run_id"] or "—"))}</code></p>
<p>Counts of 7 or fewer are suppressed and other counts rounded to the nearest 5. The latest days are incomplete: results are still arriving.</p>
</header>
<main>
<section class="tiles" aria-label="Headline figures, last 7 days">
{_tile("Tests, last 7 days", tiles.get("tests_7d"), tiles.get("tests_prev_7d"))}
{_tile("Positive results, last 7 days", tiles.get("positives_7d"), tiles.get("positives_prev_7d"))}
{_tile("PCR positivity, 7 days", tiles.get("pcr_positivity_7d"), tiles.get("pcr_positivity_prev_7d"))}
</section>
<figure>
{_chart(view["series"])}
<figcaption class="legend">{legend}</figcaption>
</figure>
{_table(view["recent"])}
</main>
<script type="application/json" id="dashboard-data">{data}</script>
</body>
</html>
"""
