"""Render a volume report as a rich table (with a bar per row), JSON or CSV (pure text).

JSON shapes:

- ``--by mediaType`` from details keeps the original shape:
  ``{"start", "end", "by": "mediaType", "source": "details", "counts": {...}, "total"}``.
- Every other report: ``{"start", "end", "by": "queue,mediaType", "source",
  "timeZone", "rows": [{"queue": NAME, "queueId": ID, "mediaType": ..., METRIC: N}],
  "totals": {METRIC: N}, "total": N}``; ``total`` is the first metric's total
  (distinct conversations from details, contacts offered from aggregates). A compare
  report adds ``"notes": [...]``.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import orjson

from genesys_analytics.reports.model import (
    Key,
    Volume,
    VolumeReport,
    VolumeRow,
    report_json,
    volume_of,
)
from genesys_analytics.reports.queue_names import NO_QUEUE, QueueNames
from genesys_analytics.timeutil import fmt

NONE = "(none)"
BAR_WIDTH = 24
LABELS = {
    "conversations": "conversations",
    "offered": "offered",
    "connected": "connected",
    "handled": "handled",
    "handleMs": "handle time",
    "avgHandleMs": "avg handle",
    "difference": "offered − conv.",
}


#: Dimensions whose values are ids shown with a name: the id's own field in JSON and CSV.
ID_FIELDS = {"queue": "queueId", "user": "userId"}


def _label(dim: str, value: str | None, names: QueueNames, users: QueueNames | None) -> str:
    if dim == "queue":
        return names.name(value)
    if dim == "user" and users is not None and value is not None:
        return f"{users.name(value)} ({value[:8]})" if users.name(value) != value else value
    return NONE if value is None else value


def _key_fields(
    report: VolumeReport, key: Key, names: QueueNames, users: QueueNames | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dim, value in zip(report.by, key, strict=True):
        if dim == "queue":
            out["queue"] = names.name(value)
            out["queueId"] = value
        elif dim == "user":
            out["user"] = users.name(value) if users is not None and value else value
            out["userId"] = value
        else:
            out[dim] = value
    return out


def as_json(
    report: VolumeReport, names: QueueNames, users: QueueNames | None = None
) -> dict[str, Any]:
    if report.by == ("mediaType",) and report.source == "details":
        return volume_of(report).as_json()
    out = report_json(report, lambda key: _key_fields(report, key, names, users))
    out["totals"] = dict(report.totals)
    out["total"] = report.totals.get(report.primary)
    if report.notes:
        out["notes"] = list(report.notes)
    return out


def _duration(ms: float | int | None) -> str:
    if ms is None:
        return ""
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _cell(metric: str, value: float | int | None) -> str:
    if metric.endswith("Ms"):
        return _duration(value)
    if value is None:
        return ""
    if metric.lower().endswith("occupancy"):
        return f"{value:.1%}"
    if metric == "difference":
        return f"{value:+,}"
    return f"{value:,}"


def render_csv(report: VolumeReport, names: QueueNames, users: QueueNames | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    dims = [c for d in report.by for c in ((d, ID_FIELDS[d]) if d in ID_FIELDS else (d,))]
    writer.writerow([*dims, *report.metrics])
    for row in report.rows:
        fields = _key_fields(report, row.key, names, users)
        writer.writerow(
            [*(fields[d] or "" for d in dims), *(row.values.get(m) for m in report.metrics)]
        )
    blank = [""] * (len(dims) - 1)
    writer.writerow(["total", *blank, *(report.totals.get(m) for m in report.metrics)])
    return out.getvalue().rstrip("\n")


def _header(metric: str) -> str:
    """A column's title: ``routingNotRespondingMs`` → ``not responding``,
    ``presenceOnQueueMs`` → ``presence on queue``."""
    if metric in LABELS:
        return LABELS[metric]
    for kind in ("routing", "presence"):
        if metric.startswith(kind) and metric.endswith("Ms"):
            words = " ".join(w.lower() for w in re.findall(r"[A-Z][a-z]*", metric[len(kind) : -2]))
            return words if kind == "routing" else f"presence {words}"
    return metric


def _is_agents(report: VolumeReport) -> bool:
    return any(m.lower().endswith("occupancy") for m in report.metrics)


def _caption(report: VolumeReport) -> str:
    span = f"{fmt(report.interval.start)} → {fmt(report.interval.end)}"
    zone = f", time zone {report.time_zone}" if {"day", "hour"} & set(report.by) else ""
    if _is_agents(report):
        what = (
            "time per routing status and presence, clipped to the interval; occupancy = "
            f"INTERACTING / (INTERACTING + COMMUNICATING + IDLE); source: {report.source}"
        )
        return f"{span}{zone}\n{what}"
    if report.source == "details":
        what = "distinct conversations by start; one conversation counts under each of its values"
    elif report.source == "aggregates":
        what = "contacts from the aggregates API (nOffered, nConnected, tHandle)"
    else:
        what = "details: conversations; aggregates: contacts offered"
    zone = f", time zone {report.time_zone}" if {"day", "hour"} & set(report.by) else ""
    return f"{span}{zone}\n{what}"


def render_table(
    report: VolumeReport, names: QueueNames, width: int = 120, users: QueueNames | None = None
) -> str:
    from rich.console import Console  # rich loads when a table is drawn, not on import
    from rich.table import Table

    title = "Conversations" if report.source == "details" else "Volume"
    if _is_agents(report):
        title = "Agents"
    table = Table(
        title=f"{title} by {', '.join(report.by)} ({report.source})", caption=_caption(report)
    )
    for dim in report.by:
        table.add_column(dim)
    for metric in report.metrics:
        table.add_column(_header(metric), justify="right")
    table.add_column("")  # the bar
    peak = max((abs(r.values.get(report.primary) or 0) for r in report.rows), default=0) or 1
    timeline = {"day", "hour"} & set(report.by)
    rows = (
        report.rows
        if timeline
        else sorted(report.rows, key=lambda r: -(r.values.get(report.primary) or 0))
    )
    for row in rows:
        n = row.values.get(report.primary) or 0
        bar = "█" * max(1, round(BAR_WIDTH * abs(n) / peak)) if n else ""
        labels = [_label(d, v, names, users) for d, v in zip(report.by, row.key, strict=True)]
        table.add_row(*labels, *(_cell(m, row.values.get(m)) for m in report.metrics), bar)
    table.add_section()
    blank = [""] * (len(report.by) - 1)
    table.add_row("total", *blank, *(_cell(m, report.totals.get(m)) for m in report.metrics), "")
    console = Console(file=io.StringIO(), width=width, force_terminal=False)
    console.print(table)
    for note in report.notes:
        console.print(f"• {note}")
    return console.file.getvalue().rstrip("\n")  # type: ignore[attr-defined]


def render(
    report: VolumeReport,
    fmt_name: str,
    names: QueueNames | None = None,
    users: QueueNames | None = None,
) -> str:
    """``table`` (default), ``json`` or ``csv``; queue and user ids shown with names."""
    names = names or QueueNames.fixed({})
    if fmt_name == "json":
        return orjson.dumps(as_json(report, names, users)).decode()
    if fmt_name == "csv":
        return render_csv(report, names, users)
    return render_table(report, names, users=users)


def render_volume(volume: Volume, fmt: str) -> str:
    """Render a legacy one-dimension :class:`Volume` (used by ``demo``)."""
    rows = tuple(VolumeRow((k,), {"conversations": n}) for k, n in sorted(volume.counts.items()))
    report = VolumeReport(
        volume.interval,
        volume.source,
        (volume.by,),
        ("conversations",),
        rows,
        {"conversations": volume.total},
    )
    if fmt == "table":
        return render_table(report, QueueNames.fixed({}), width=100)
    return render(report, fmt)


__all__ = ["NONE", "NO_QUEUE", "as_json", "render", "render_csv", "render_table", "render_volume"]
