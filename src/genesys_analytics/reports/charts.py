"""Charts of volume reports: a stacked bar chart of volume per day by channel (PNG).

matplotlib (extra ``[charts]``) is imported lazily with the non-interactive Agg backend,
so nothing needs a display and the rest of the tool works without it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from genesys_analytics.errors import ConfigError
from genesys_analytics.reports.model import VolumeReport
from genesys_analytics.timeutil import fmt

log = logging.getLogger(__name__)

# Colour-blind-friendly palette (Okabe & Ito), one colour per channel, stable by name.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
FOOTNOTE = (
    "Numbers above the bars: distinct conversations. A conversation with two channels "
    "(e.g. callback + voice) counts in both colours."
)
KNOWN = ("voice", "callback", "chat", "message", "email")


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError(
            "--chart needs matplotlib: pip install 'genesys-analytics[charts]'."
        ) from None
    return plt


def day_channel_table(report: VolumeReport) -> tuple[list[str], dict[str, list[float]]]:
    """``(days, {channel: value per day})`` of a report grouped by day and mediaType."""
    if not {"day", "mediaType"} <= set(report.by):
        raise ConfigError("a chart needs a report grouped by day and mediaType.")
    di, mi = report.by.index("day"), report.by.index("mediaType")
    cells: dict[tuple[str, str], float] = {}
    for row in report.rows:
        day, media = row.key[di] or "", row.key[mi] or "(none)"
        cells[(day, media)] = cells.get((day, media), 0) + float(
            row.values.get(report.primary) or 0
        )
    days = sorted({d for d, _ in cells})
    totals: dict[str, float] = {}
    for (_, media), n in cells.items():
        totals[media] = totals.get(media, 0) + n
    channels = sorted(totals, key=lambda m: -totals[m])
    return days, {m: [cells.get((d, m), 0) for d in days] for m in channels}


def _colour(channel: str, i: int) -> str:
    index = KNOWN.index(channel) if channel in KNOWN else len(KNOWN) + i
    return PALETTE[index % len(PALETTE)]


def render_chart(
    report: VolumeReport,
    path: Path | str,
    *,
    title: str | None = None,
    day_totals: Mapping[str, float] | None = None,
) -> Path:
    """Write the stacked bar chart of ``report`` (by day and mediaType) to ``path`` as PNG.

    ``day_totals`` (distinct conversations per day) label the bars; without them a bar is
    labelled with its height. A conversation with two channels counts in both segments,
    so a bar can be taller than its label.
    """
    days, series = day_channel_table(report)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 5.6), dpi=110)
    try:
        x = list(range(len(days)))
        bottom = [0.0] * len(days)
        for i, (channel, values) in enumerate(series.items()):
            ax.bar(x, values, bottom=bottom, label=channel, color=_colour(channel, i), width=0.7)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        labels = [
            day_totals.get(d, 0) if day_totals else top for d, top in zip(days, bottom, strict=True)
        ]
        for xi, top, label in zip(x, bottom, labels, strict=True):
            ax.annotate(
                f"{label:,.0f}",
                (xi, top),
                ha="center",
                va="bottom",
                fontsize=9,
                xytext=(0, 2),
                textcoords="offset points",
            )
        ax.set_xticks(x, [_day_label(d) for d in days], rotation=0 if len(days) <= 10 else 45)
        what = "Conversations" if report.source == "details" else "Contacts offered"
        ax.set_title(title or f"{what} per day by channel", fontsize=14, loc="left", pad=24)
        ax.text(
            0,
            1.02,
            _subtitle(report),
            transform=ax.transAxes,
            fontsize=9,
            color="#555555",
        )
        ax.set_xlabel(f"Day ({report.time_zone})")
        ax.set_ylabel(what)
        ax.set_ylim(0, max(bottom, default=0) * 1.12 or 1)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(  # top of the legend = top of the stack
            handles[::-1],
            labels[::-1],
            title="Channel",
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            frameon=False,
        )
        if day_totals is not None:
            fig.text(0.01, 0.012, FOOTNOTE, fontsize=8, color="#555555")
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format="png")
    finally:
        plt.close(fig)
    log.info("wrote chart %s", out)
    return out


def _day_label(day: str) -> str:
    from datetime import date

    try:
        d = date.fromisoformat(day)
    except ValueError:
        return day
    return f"{d:%a}\n{d:%d %b}"


def _subtitle(report: VolumeReport) -> str:
    start, end = (
        fmt(t)[:16].replace("T", " ") for t in (report.interval.start, report.interval.end)
    )
    span = f"{start} → {end} UTC"
    source = (
        "distinct conversations by start (details)"
        if report.source == "details"
        else "nOffered from the aggregates API"
    )
    return f"{span} · {source}"


__all__ = ["day_channel_table", "render_chart"]
