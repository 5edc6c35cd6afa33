"""Bar charts as inline SVG strings: no chart library, no script, printable. Pure.

Every series has a colour of the Okabe–Ito palette (safe for the common colour-vision
deficiencies) *and* a fill pattern, every bar a dark outline (so it stands out from the
page whatever its fill), and every chart a title and a description for screen readers;
the page shows the same numbers in a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

#: Okabe & Ito (2008), without yellow (too light on white) and black (kept for text).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#999999")
#: One pattern per series, drawn over the colour: not colour alone.
PATTERNS = ("solid", "hatch", "dots", "cross", "lines", "grid", "dash")
OUTLINE = "#1a1a1a"
INK = "#1a1a1a"
MUTED = "#4d4d4d"


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]  # one per category
    style: int | None = None  # index into PALETTE/PATTERNS; default: the series' position


def _styles(series: Sequence[Series]) -> list[int]:
    return [i if s.style is None else s.style for i, s in enumerate(series)]


def _pattern_defs(prefix: str, styles: Sequence[int]) -> str:
    out = []
    for i, style in enumerate(styles):
        colour, kind = PALETTE[style % len(PALETTE)], PATTERNS[style % len(PATTERNS)]
        pid = f"{prefix}-p{i}"
        mark = {
            "solid": "",
            "hatch": '<path d="M0,6 L6,0" stroke="#fff" stroke-width="1.6"/>',
            "dots": '<circle cx="3" cy="3" r="1.2" fill="#fff"/>',
            "cross": '<path d="M0,0 L6,6 M0,6 L6,0" stroke="#fff" stroke-width="1"/>',
            "lines": '<path d="M0,3 L6,3" stroke="#fff" stroke-width="1.4"/>',
            "grid": '<path d="M3,0 L3,6 M0,3 L6,3" stroke="#fff" stroke-width="1"/>',
            "dash": '<path d="M1,1 L4,1 M2,4 L5,4" stroke="#fff" stroke-width="1.2"/>',
        }[kind]
        out.append(
            f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse">'
            f'<rect width="6" height="6" fill="{colour}"/>{mark}</pattern>'
        )
    return f"<defs>{''.join(out)}</defs>"


def fill(prefix: str, index: int) -> str:
    return f"url(#{prefix}-p{index})"


def ticks(peak: float, most: int = 5) -> list[float]:
    """Round axis ticks from 0 to at or above ``peak`` (steps of 1, 2, 2.5 or 5 × 10ⁿ)."""
    if peak <= 0:
        return [0.0, 1.0]
    raw = peak / most
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    count = math.ceil(peak / step - 1e-9)
    return [step * i for i in range(count + 1)]


def _label(value: float, unit: str) -> str:
    if unit == "h":
        return f"{value:,.0f} h" if value >= 10 else f"{value:,.1f} h"
    return f"{value:,.0f}"


def legend(prefix: str, series: Sequence[Series]) -> str:
    """An HTML legend whose swatches carry the same colour and pattern as the bars."""
    items = []
    for i, (s, style) in enumerate(zip(series, _styles(series), strict=True)):
        swatch = (
            f'<svg width="18" height="14" aria-hidden="true" focusable="false">'
            f"{_pattern_defs(f'{prefix}-l{i}', [style])}"
            f'<rect x="0.5" y="0.5" width="17" height="13" fill="{fill(f"{prefix}-l{i}", 0)}" '
            f'stroke="{OUTLINE}"/></svg>'
        )
        items.append(f"<li>{swatch} {escape(s.name)}</li>")
    return f'<ul class="legend">{"".join(items)}</ul>'


def grouped_bars(
    prefix: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    width: float = 760,
    height: int = 260,
) -> str:
    """Vertical bars: one group per category, one bar per series in it."""
    left, right, top, bottom = 56, 8, 12, 40
    per_group = max(1, len(series))
    slots = max(1, len(categories)) * (per_group + 1)
    bar = max(4.0, min(28.0, (width - left - right) / slots))
    group = bar * (per_group + 1)
    width = left + right + max(1, len(categories)) * group
    marks = ticks(max((v for s in series for v in s.values), default=0))
    peak = marks[-1]
    plot = height - top - bottom
    parts = [_pattern_defs(prefix, _styles(series))]
    for value in marks:
        y = top + plot - plot * value / peak
        parts.append(
            f'<line x1="{left}" x2="{width - right:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}" '
            f'font-size="11">{escape(_label(value, unit))}</text>'
        )
    for c, category in enumerate(categories):
        x0 = left + c * group + bar / 2
        for i, s in enumerate(series):
            value = s.values[c] if c < len(s.values) else 0
            h = plot * value / peak
            parts.append(
                f'<rect x="{x0 + i * bar:.1f}" y="{top + plot - h:.1f}" width="{bar - 1:.1f}" '
                f'height="{h:.1f}" fill="{fill(prefix, i)}" stroke="{OUTLINE}" '
                f'stroke-width="0.6"><title>{escape(category)}, {escape(s.name)}: '
                f"{escape(_label(value, unit))}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + per_group * bar / 2:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle" fill="{INK}" font-size="11">{escape(category)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{width - right:.1f}" y1="{top + plot}" y2="{top + plot}" '
        f'stroke="{INK}" stroke-width="1"/>'
    )
    return _svg(prefix, title, width, height, parts)


def stacked_hbars(
    prefix: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "h",
    notes: Mapping[str, str] | None = None,
) -> str:
    """Horizontal stacked bars: one row per category (e.g. an agent), series stacked."""
    label_w, right, top, row, plot = 180, 110, 8, 22, 520
    height = top + max(1, len(categories)) * row + 24
    width = label_w + plot + right
    totals = [sum(s.values[c] for s in series) for c in range(len(categories))]
    marks = ticks(max(totals, default=0))
    peak = marks[-1]
    axis_y = top + len(categories) * row + 4
    parts = [_pattern_defs(prefix, _styles(series))]
    for value in marks:
        x = label_w + plot * value / peak
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{axis_y}" stroke="#d0d0d0" '
            f'stroke-width="1"/><text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" '
            f'fill="{MUTED}" font-size="11">{escape(_label(value, unit))}</text>'
        )
    for c, category in enumerate(categories):
        y = top + c * row
        x = float(label_w)
        name = category if len(category) <= 26 else category[:25] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" fill="{INK}" '
            f'font-size="11">{escape(name)}</text>'
        )
        for i, s in enumerate(series):
            w = plot * s.values[c] / peak
            if w <= 0:
                continue
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                f'fill="{fill(prefix, i)}" stroke="{OUTLINE}" stroke-width="0.6">'
                f"<title>{escape(category)}, {escape(s.name)}: "
                f"{escape(_label(s.values[c], unit))}</title></rect>"
            )
            x += w
        note = (notes or {}).get(category)
        if note:
            parts.append(
                f'<text x="{x + 6:.1f}" y="{y + 14}" fill="{INK}" font-size="11">'
                f"{escape(note)}</text>"
            )
    return _svg(prefix, title, width, height, parts)


def _svg(prefix: str, title: str, width: float, height: float, parts: list[str]) -> str:
    return (
        f'<svg class="chart" role="img" aria-labelledby="{prefix}-title" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'font-family="system-ui, sans-serif">'
        f'<title id="{prefix}-title">{escape(title)}</title>{"".join(parts)}</svg>'
    )


__all__ = ["PALETTE", "PATTERNS", "Series", "grouped_bars", "legend", "stacked_hbars", "ticks"]
