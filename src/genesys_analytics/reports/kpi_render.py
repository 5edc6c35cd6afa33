"""Render a KPI report (or a comparison) as a table, JSON or CSV, with names, not ids.

JSON: ``{"start", "end", "by": "queue,day", "source", "timeZone", "rows": [{"queue": NAME,
"queueId": ID, "day": ..., "offered": N, ..., "transfer_rate": R}], "total": {...},
"definitions": {KPI: text}}``; rates are 0–1, times in milliseconds, empty denominators
``null``. A comparison has ``<kpi>_details`` and ``<kpi>_aggregates`` per row and in
``total``, and ``notes``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from genesys_analytics.reports.kpi_names import Names
from genesys_analytics.reports.kpi_tally import DEFINITIONS, KPIS
from genesys_analytics.reports.model import Key, VolumeReport, report_json
from genesys_analytics.reports.queue_names import NO_QUEUE
from genesys_analytics.timeutil import fmt

#: dimensions whose values are ids: the JSON/CSV field that keeps the id
ID_FIELDS = {"queue": "queueId", "user": "userId", "wrapUpCode": "wrapUpCodeId"}
NONE = {"queue": NO_QUEUE, "user": "(no agent)", "wrapUpCode": "(no wrap-up)"}
LABELS = {
    "offered": "offered",
    "answered": "answered",
    "abandoned": "abandoned",
    "asa_ms": "ASA",
    "aht_ms": "AHT",
    "abandon_rate": "abandon %",
    "service_level": "service level",
    "transfer_rate": "transfer %",
}


def key_fields(report: VolumeReport, key: Key, names: Names) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dim, value in zip(report.by, key, strict=True):
        out[dim] = names.label(dim, value)
        if dim in ID_FIELDS:
            out[ID_FIELDS[dim]] = value
    return out


def as_json(report: VolumeReport, names: Names) -> dict[str, Any]:
    out = report_json(report, lambda key: key_fields(report, key, names))
    out["total"] = {m: report.totals.get(m) for m in report.metrics}
    out["definitions"] = {k: DEFINITIONS[k][1] for k in KPIS}
    if report.notes:
        out["notes"] = list(report.notes)
    return out


def render_csv(report: VolumeReport, names: Names) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    dims = [c for d in report.by for c in ((d, ID_FIELDS[d]) if d in ID_FIELDS else (d,))]
    writer.writerow([*dims, *report.metrics])
    for row in report.rows:
        fields = key_fields(report, row.key, names)
        writer.writerow(
            [*(fields[d] or "" for d in dims), *(row.values.get(m) for m in report.metrics)]
        )
    blank = [""] * max(len(dims) - 1, 0)
    total = ["total", *blank] if dims else []
    writer.writerow([*total, *(report.totals.get(m) for m in report.metrics)])
    return out.getvalue().rstrip("\n")


def cell(kpi: str, value: float | int | None) -> str:
    """A KPI as a person reads it: ``1:05`` for times, ``12.5%`` for rates, ``—`` for null."""
    if value is None:
        return "—"
    if kpi.endswith("_ms"):
        seconds = round(value / 1000)
        minutes, secs = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    if kpi.endswith(("_rate", "service_level")):
        return f"{value:.1%}"
    return f"{value:,}"


def _cells(report: VolumeReport, values: Any) -> list[str]:
    if report.source != "details+aggregates":
        return [cell(k, values.get(k)) for k in KPIS]
    return [
        f"{cell(k, values.get(k + '_details'))} / {cell(k, values.get(k + '_aggregates'))}"
        for k in KPIS
    ]


def render_table(report: VolumeReport, names: Names, width: int = 160) -> str:
    from rich.console import Console  # rich loads when a table is drawn
    from rich.table import Table

    span = f"{fmt(report.interval.start)} → {fmt(report.interval.end)}"
    zone = f", time zone {report.time_zone}" if {"day", "hour"} & set(report.by) else ""
    if report.source == "details":
        what = "details: conversations that started in the interval, by their start"
    elif report.source == "aggregates":
        what = "aggregates: metrics Genesys emitted in the interval, by emit time"
    else:
        what = "each cell: details / aggregates"
    title = "KPIs" + (f" by {', '.join(report.by)}" if report.by else "")
    table = Table(title=f"{title} ({report.source})", caption=f"{span}{zone}\n{what}")
    for dim in report.by:
        table.add_column(dim)
    for k in KPIS:
        table.add_column(LABELS[k], justify="right")
    for row in report.rows:
        labels = []
        for dim, value in zip(report.by, row.key, strict=True):
            label = names.label(dim, value)
            labels.append(NONE.get(dim, "(none)") if label is None else label)
        table.add_row(*labels, *_cells(report, row.values))
    table.add_section()
    blank = [""] * max(len(report.by) - 1, 0)
    table.add_row(*(["total", *blank] if report.by else []), *_cells(report, report.totals))
    console = Console(file=io.StringIO(), width=width, force_terminal=False)
    console.print(table)
    for note in report.notes:
        console.print(f"• {note}")
    return console.file.getvalue().rstrip("\n")  # type: ignore[attr-defined]


def render(report: VolumeReport, fmt_name: str, names: Names) -> str:
    if fmt_name == "json":
        return orjson.dumps(as_json(report, names)).decode()
    if fmt_name == "csv":
        return render_csv(report, names)
    return render_table(report, names)


__all__ = ["ID_FIELDS", "as_json", "cell", "render", "render_csv", "render_table"]
