"""Charts of reports (PNG): volume per day by channel, and agent time per routing status.

matplotlib (extra ``[charts]``) is imported lazily with the non-interactive Agg backend,
so nothing needs a display and the rest of the tool works without it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genesys_analytics.errors import ConfigError
from genesys_analytics.reports.agents import AVAILABLE_FOR_WORK, OCCUPIED, ROUTING, column
from genesys_analytics.reports.model import VolumeReport
from genesys_analytics.reports.queue_names import QueueNames
from genesys_analytics.timeutil import Interval, fmt

log = logging.getLogger(__name__)

# Colour-blind-friendly palette (Okabe & Ito), one colour per series, stable by name.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
FOOTNOTE = (
    "Numbers above the bars: distinct conversations. A conversation with two channels "
    "(e.g. callback + voice) counts in both colours."
)
KNOWN = ("voice", "callback", "chat", "message", "email")
#: routing status → colour, in the stacking order of ``ROUTING`` (bottom first).
ROUTING_COLOURS = {
    "IDLE": PALETTE[4],
    "INTERACTING": PALETTE[0],
    "COMMUNICATING": PALETTE[2],
    "NOT_RESPONDING": PALETTE[5],
    "OFF_QUEUE": PALETTE[3],
}
AGENTS_FOOTNOTE = (
    "Above each bar: occupancy = INTERACTING / (INTERACTING + COMMUNICATING + IDLE) time "
    "(\u2013 when there is none); NOT_RESPONDING and OFF_QUEUE are not in it."
)
MS_PER_HOUR = 3_600_000


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
    colours = {channel: _colour(channel, i) for i, channel in enumerate(series)}
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 5.6), dpi=110)
    try:
        x = list(range(len(days)))
        tops = _stack(ax, x, series, colours)
        labels = [
            day_totals.get(d, 0) if day_totals else top for d, top in zip(days, tops, strict=True)
        ]
        _label_tops(ax, x, tops, [f"{label:,.0f}" for label in labels])
        ax.set_xticks(x, [_day_label(d) for d in days], rotation=0 if len(days) <= 10 else 45)
        what = "Conversations" if report.source == "details" else "Contacts offered"
        source = (
            "distinct conversations by start (details)"
            if report.source == "details"
            else "nOffered from the aggregates API"
        )
        _titles(ax, title or f"{what} per day by channel", f"{_span(report.interval)} · {source}")
        ax.set_xlabel(f"Day ({report.time_zone})")
        ax.set_ylabel(what)
        ax.set_ylim(0, max(tops, default=0) * 1.12 or 1)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        _style(ax, legend="Channel")
        return _save(fig, path, FOOTNOTE if day_totals is not None else None)
    finally:
        plt.close(fig)


@dataclass(frozen=True)
class AgentBars:
    """What the agents chart draws: one bar per day or per agent.

    ``hours[status][i]`` is bar ``i``'s time in a routing status, in hours, for every status
    of ``ROUTING`` in stacking order; ``occupancy[i]`` is recomputed from the bar's summed
    time (``None`` when it had no INTERACTING, COMMUNICATING or IDLE time).
    """

    axis: str  # "day" or "user"
    keys: tuple[str, ...]
    labels: tuple[str, ...]
    hours: Mapping[str, tuple[float, ...]]
    occupancy: tuple[float | None, ...]

    @property
    def empty(self) -> bool:
        return not any(h for values in self.hours.values() for h in values)


def agents_chart_axis(by: Sequence[str]) -> str:
    """The bars of an agents chart: per day when ``day`` is in ``by``, else per user."""
    if "day" in by:
        return "day"
    if "user" in by:
        return "user"
    raise ConfigError("--chart draws one bar per day or per agent: add day or user to --by.")


def agent_bars(report: VolumeReport, users: QueueNames | None = None) -> AgentBars:
    """Sum a report of ``agents`` per day (or per user) into the bars of its chart."""
    axis = agents_chart_axis(report.by)
    index = report.by.index(axis)
    sums: dict[str, dict[str, float]] = {}
    for row in report.rows:
        cell = sums.setdefault(row.key[index] or "", {})
        for status in ROUTING:
            name = column("routing", status)
            cell[name] = cell.get(name, 0) + float(row.values.get(name) or 0)
    labels = {k: _day_label(k) if axis == "day" else _user_label(k, users) for k in sums}
    keys = tuple(
        sorted(sums) if axis == "day" else sorted(sums, key=lambda k: (labels[k].casefold(), k))
    )
    hours = {
        status: tuple(sums[k][column("routing", status)] / MS_PER_HOUR for k in keys)
        for status in ROUTING
    }
    return AgentBars(
        axis, keys, tuple(labels[k] for k in keys), hours, tuple(_occupancy(sums[k]) for k in keys)
    )


def _occupancy(ms: Mapping[str, float]) -> float | None:
    busy = sum(ms[column("routing", s)] for s in OCCUPIED)
    ready = sum(ms[column("routing", s)] for s in AVAILABLE_FOR_WORK)
    return busy / ready if ready else None


def _user_label(user_id: str, users: QueueNames | None) -> str:
    name = users.name(user_id) if users is not None and user_id else user_id
    return name if name != user_id else f"{user_id[:8]}…" if len(user_id) > 9 else user_id


def render_agents_chart(bars: AgentBars, report: VolumeReport, path: Path | str) -> Path:
    """Write the stacked bar chart of routing-status hours (``bars`` of ``report``) as PNG.

    An empty report (no routing-status time) still writes a chart, which says so.
    """
    plt = _pyplot()
    n = len(bars.keys)
    fig, ax = plt.subplots(figsize=(max(10.0, min(24.0, 3 + 0.45 * n)), 5.6), dpi=110)
    try:
        x = list(range(n))
        tops = _stack(ax, x, bars.hours, ROUTING_COLOURS)
        _label_tops(
            ax, x, tops, [f"{o:.0%}" if o is not None else "\u2013" for o in bars.occupancy]
        )
        wide = n > 10 or (bars.axis == "user" and n > 6)
        ax.set_xticks(x, bars.labels, rotation=45 if wide else 0, ha="right" if wide else "center")
        per = "day" if bars.axis == "day" else "agent"
        source = (
            "user details records clipped to the interval"
            if report.source == "details"
            else "tAgentRoutingStatus from the user aggregates API"
        )
        _titles(
            ax, f"Agent time per routing status, per {per}", f"{_span(report.interval)} · {source}"
        )
        ax.set_xlabel(f"Day ({report.time_zone})" if bars.axis == "day" else "Agent")
        ax.set_ylabel("Hours")
        if bars.empty:
            ax.set_yticks([])
            ax.text(
                0.5,
                0.5,
                "No routing-status time in this interval: nothing to chart.",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=12,
                color="#555555",
            )
        else:
            ax.set_ylim(0, max(tops) * 1.12)
        _style(ax, legend=None if bars.empty else "Routing status")
        return _save(fig, path, AGENTS_FOOTNOTE)
    finally:
        plt.close(fig)


def _stack(
    ax: Any, x: list[int], series: Mapping[str, Sequence[float]], colours: Mapping[str, str]
) -> list[float]:
    """Stack ``series`` bottom-up in its order; the height of each stack."""
    bottom = [0.0] * len(x)
    for name, values in series.items():
        ax.bar(x, values, bottom=bottom, label=name, color=colours[name], width=0.7)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    return bottom


def _label_tops(ax: Any, x: list[int], tops: list[float], texts: list[str]) -> None:
    for xi, top, text in zip(x, tops, texts, strict=True):
        ax.annotate(
            text,
            (xi, top),
            ha="center",
            va="bottom",
            fontsize=9,
            xytext=(0, 2),
            textcoords="offset points",
        )


def _titles(ax: Any, title: str, subtitle: str) -> None:
    ax.set_title(title, fontsize=14, loc="left", pad=24)
    ax.text(0, 1.02, subtitle, transform=ax.transAxes, fontsize=9, color="#555555")


def _style(ax: Any, legend: str | None) -> None:
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if legend is None:
        return
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(  # top of the legend = top of the stack
        handles[::-1],
        labels[::-1],
        title=legend,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        frameon=False,
    )


def _save(fig: Any, path: Path | str, footnote: str | None) -> Path:
    if footnote is not None:
        fig.text(0.01, 0.012, footnote, fontsize=8, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    log.info("wrote chart %s", out)
    return out


def _day_label(day: str) -> str:
    from datetime import date

    try:
        d = date.fromisoformat(day)
    except ValueError:
        return day
    return f"{d:%a}\n{d:%d %b}"


def _span(interval: Interval) -> str:
    start, end = (fmt(t)[:16].replace("T", " ") for t in (interval.start, interval.end))
    return f"{start} → {end} UTC"


__all__ = [
    "AgentBars",
    "agent_bars",
    "agents_chart_axis",
    "day_channel_table",
    "render_agents_chart",
    "render_chart",
]
