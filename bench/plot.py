"""``bench/results/scales.svg``: time and peak memory per stage against scale.

A small hand-written SVG (no plotting library in the install): log-log axes, one line per
stage through the scales' records, projected points hollow and joined by dashes.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

from bench.common import RESULTS

COLOURS = {  # Okabe-Ito, as the dashboard
    "generate": "#999999",
    "bronze": "#E69F00",
    "silver": "#56B4E9",
    "gates": "#009E73",
    "dbt": "#0072B2",
    "publication": "#F0E442",
    "dashboards": "#D55E00",
    "extracts": "#CC79A7",
    "baseline": "#000000",
}
WIDTH, HEIGHT, MARGIN = 460, 300, 56


def newest_results() -> list[dict]:
    """The newest result of each scale, smallest first."""
    newest: dict[str, dict] = {}
    for path in sorted(RESULTS.glob("*-[SML].json")):
        for result in json.loads(path.read_text()):
            newest[result["scale"]] = result
    return sorted(newest.values(), key=lambda r: r["full_run"]["records"])


def _series(results: list[dict], figure: str) -> dict[str, list[tuple[float, float, bool]]]:
    series: dict[str, list[tuple[float, float, bool]]] = {}
    for result in results:
        records = result["full_run"]["records"]
        projected = bool(result.get("projected"))
        rows = dict(result["stages"]) | {"baseline": result["baseline"]}
        for stage, figures in rows.items():
            value = figures.get(figure)
            if value:
                series.setdefault(stage, []).append((records, value, projected))
    return series


def _panel(series, title: str, unit: str, left: float) -> list[str]:
    xs = [x for points in series.values() for x, _, _ in points]
    ys = [y for points in series.values() for _, y, _ in points]
    if not xs:
        return []
    x0, x1 = math.log10(min(xs)) - 0.2, math.log10(max(xs)) + 0.2
    y0, y1 = math.log10(min(ys)) - 0.2, math.log10(max(ys)) + 0.2
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN

    def at(x: float, y: float) -> tuple[float, float]:
        return (
            left + MARGIN + (math.log10(x) - x0) / (x1 - x0) * inner_w,
            HEIGHT - MARGIN - (math.log10(y) - y0) / (y1 - y0) * inner_h,
        )

    parts = [
        f'<text x="{left + WIDTH / 2}" y="20" text-anchor="middle" font-weight="bold">'
        f"{title}</text>",
        f'<rect x="{left + MARGIN}" y="{MARGIN}" width="{inner_w}" height="{inner_h}" '
        'fill="none" stroke="#888"/>',
        f'<text x="{left + WIDTH / 2}" y="{HEIGHT - 12}" text-anchor="middle">'
        "landing records (log)</text>",
        f'<text x="{left + 14}" y="{HEIGHT / 2}" transform="rotate(-90 {left + 14} '
        f'{HEIGHT / 2})" text-anchor="middle">{unit} (log)</text>',
    ]
    for power in range(math.ceil(x0), math.floor(x1) + 1):
        x, _ = at(10**power, 10**y0)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - MARGIN + 14}" text-anchor="middle">1e{power}</text>'
        )
    for power in range(math.ceil(y0), math.floor(y1) + 1):
        _, y = at(10**x0, 10**power)
        parts.append(
            f'<text x="{left + MARGIN - 4}" y="{y + 4:.1f}" text-anchor="end">{10**power:g}</text>'
        )
    for stage, points in series.items():
        colour = COLOURS.get(stage, "#444")
        for (xa, ya, _), (xb, yb, projected) in itertools.pairwise(points):
            (ax, ay), (bx, by) = at(xa, ya), at(xb, yb)
            dash = ' stroke-dasharray="4 3"' if projected else ""
            parts.append(
                f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" '
                f'stroke="{colour}" stroke-width="2"{dash}/>'
            )
        for x, y, projected in points:
            cx, cy = at(x, y)
            fill = "white" if projected else colour
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{fill}" stroke="{colour}">'
                f"<title>{stage}: {y:g} {unit}</title></circle>"
            )
    return parts


def draw(results: list[dict], target: Path) -> Path:
    """Write the two panels (seconds, GiB) and a legend to ``target``."""
    parts = _panel(_series(results, "seconds"), "Wall time per stage", "seconds", 0)
    parts += _panel(_series(results, "peak_memory_gib"), "Peak memory per stage", "GiB", WIDTH)
    for position, (stage, colour) in enumerate(COLOURS.items()):
        x = 60 + position * 105
        parts.append(f'<rect x="{x}" y="{HEIGHT + 6}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{HEIGHT + 16}">{stage}</text>')
    scales = ", ".join(
        f"{r['scale']}{' (projected)' if r.get('projected') else ''}" for r in results
    )
    parts.append(
        f'<text x="{WIDTH}" y="{HEIGHT + 40}" text-anchor="middle">scales: {scales}; '
        "hollow points and dashes are projected</text>"
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * WIDTH}" height="{HEIGHT + 50}" '
        f'font-family="sans-serif" font-size="11" role="img">'
        "<title>EpiLake benchmark: time and memory per stage against scale</title>"
        f'<rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>\n'
    )
    target.write_text(svg)
    return target


def main() -> None:
    print(draw(newest_results(), RESULTS / "scales.svg"))


if __name__ == "__main__":
    main()
