"""The HTML report: one self-contained page built from the reports' own JSON. Pure.

:func:`render_page` turns a :class:`PageData` into one HTML string that works offline:
styles and the one small script (sorting tables) are inline, charts are inline SVG
(:mod:`genesys_analytics.reports.svg`), nothing is fetched. Every number on it comes from
the JSON documents the ``volume``, ``agents`` and ``kpi`` commands print (the CLI builds
them with the same code), so the page and the JSON agree by construction; each tile
carries its exact JSON value in ``data-value``. All text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

import orjson

from genesys_analytics.reports.agents import column
from genesys_analytics.reports.kpi_render import NONE
from genesys_analytics.reports.svg import Series, grouped_bars, legend, stacked_hbars
from genesys_analytics.timeutil import fmt

Json = Mapping[str, Any]
#: In every page's head, so a later run knows the file is one of ours to replace.
GENERATOR = '<meta name="generator" content="genesys-analytics report">'
DASH = "—"


# -- formatting (the tiles and tables show these; tests check them against the JSON) ----


def fmt_count(value: float | None) -> str:
    return DASH if value is None else f"{value:,.0f}"


def fmt_rate(value: float | None) -> str:
    """A 0–1 rate as a percentage with one decimal; ``—`` when undefined (no denominator)."""
    return DASH if value is None else f"{value * 100:.1f}%"


def fmt_duration(ms: float | None) -> str:
    """``12.3s`` under a minute, ``4m 05s`` under an hour, ``1h 02m`` from there."""
    if ms is None:
        return DASH
    if ms < 59_950:
        return f"{ms / 1000:.1f}s"
    seconds = round(ms / 1000)
    if seconds < 3600:
        minutes, secs = divmod(seconds, 60)
        return f"{minutes}m {secs:02d}s"
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours}h {rest:02d}m"


def fmt_hours(ms: float | None) -> str:
    return DASH if ms is None else f"{ms / 3_600_000:,.1f} h"


# -- what the page shows ---------------------------------------------------------------


@dataclass(frozen=True)
class PageData:
    """The JSON documents the page is drawn from (each exactly as a command prints it).

    - ``volume``: ``volume --by mediaType --format json``;
    - ``volume_by_day``: ``volume --by day,mediaType --format json``;
    - ``agents``: ``agents --by user --source details --format json``;
    - ``kpi_by_queue`` / ``kpi_by_hour``: ``kpi --by queue`` / ``kpi --by hour`` JSON.
    """

    start: datetime
    end: datetime
    time_zone: str
    source: str  # where the numbers come from, in words
    volume: Json
    volume_by_day: Json
    agents: Json
    kpi_by_queue: Json
    kpi_by_hour: Json
    generated_at: datetime | None = None


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: float | int | None
    text: str
    definition: str


DEFINITIONS: dict[str, tuple[str, str]] = {
    "volume": (
        "Conversations",
        "Distinct conversations whose start lies in the interval. By channel, a "
        "conversation counts once under each media type it used, so channels can add up "
        "to more than the total.",
    ),
    "offered": ("Offered", "Contacts offered to a queue: the count of nOffered on ACD sessions."),
    "answered": ("Answered", "Offered contacts an agent answered: the count of tAnswered."),
    "abandoned": ("Abandoned", "Offered contacts that hung up in queue: the count of tAbandon."),
    "asa": ("ASA", "Average speed of answer: the mean of tAnswered (time in queue until answer)."),
    "aht": ("AHT", "Average handle time: the mean of tHandle (talk + hold + wrap-up)."),
    "abandon_rate": ("Abandon rate", "Abandoned ÷ offered."),
    "service_level": (
        "Service level",
        "(Answered − answered later than the queue's target) ÷ (answered + abandoned); the "
        "target is the queue's service-level duration for the contact's media type.",
    ),
    "transfer_rate": ("Transfer rate", "nTransferred count ÷ answered."),
    "occupancy": (
        "Occupancy",
        "INTERACTING ÷ (INTERACTING + COMMUNICATING + IDLE) routing-status time of the "
        "agents, each status record clipped to the interval.",
    ),
    "status_time": (
        "Status time",
        "Hours in each routing status, each record clipped to the interval; records that "
        "began up to three days before the start count for the part inside it.",
    ),
}
UNDEFINED = "A figure with nothing to divide by (no contacts offered, none answered) shows —."


def tiles(data: PageData) -> list[Tile]:
    """The headline figures, each the very value of its JSON document."""
    kpi = data.kpi_by_queue.get("total") or {}

    def tile(key: str, value: Any, render: Callable[[Any], str]) -> Tile:
        label, definition = DEFINITIONS[key]
        return Tile(key, label, value, render(value), definition)

    return [
        tile("volume", data.volume.get("total"), fmt_count),
        tile("asa", kpi.get("asa_ms"), fmt_duration),
        tile("aht", kpi.get("aht_ms"), fmt_duration),
        tile("abandon_rate", kpi.get("abandon_rate"), fmt_rate),
        tile("service_level", kpi.get("service_level"), fmt_rate),
        tile("occupancy", (data.agents.get("totals") or {}).get("occupancy"), fmt_rate),
    ]


# -- HTML -----------------------------------------------------------------------------


def render_page(data: PageData) -> str:
    """The whole page: one HTML document, no external resource."""
    span = f"{fmt(data.start)} → {fmt(data.end)}"
    generated = f" · made {fmt(data.generated_at)}" if data.generated_at else ""
    body = "".join(
        (
            "<header>",
            "<h1>Contact-centre report</h1>",
            f'<p class="meta"><span id="interval">{escape(span)}</span> (half-open, UTC) · '
            f"days and hours in {escape(data.time_zone)}{escape(generated)}</p>",
            f'<p class="meta" id="source">Source: {escape(data.source)}</p>',
            "</header>",
            _tiles(tiles(data)),
            _volume_section(data),
            _kpi_sections(data),
            _agents_section(data),
            _definitions(),
        )
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{GENERATOR}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Contact-centre report {escape(span)}</title>"
        f"<style>{CSS}</style></head>"
        f"<body><main>{body}</main><script>{SCRIPT}</script></body></html>\n"
    )


def _json_attr(value: Any) -> str:
    return escape(orjson.dumps(value).decode())


def _tiles(items: Sequence[Tile]) -> str:
    cells = "".join(
        f'<div class="tile" data-kpi="{t.key}" data-value="{_json_attr(t.value)}">'
        f'<h2 class="label">{escape(t.label)}</h2>'
        f'<p class="value">{escape(t.text)}</p>'
        f'<p class="def">{escape(t.definition)}</p></div>'
        for t in items
    )
    return f'<section aria-label="Headline figures" class="tiles">{cells}</section>'


def _volume_section(data: PageData) -> str:
    rows = data.volume_by_day.get("rows") or []
    days = sorted({str(r["day"]) for r in rows})
    media = sorted({str(r["mediaType"]) for r in rows if r.get("mediaType")})
    count = {(str(r["day"]), str(r["mediaType"])): r.get("conversations") or 0 for r in rows}
    series = [Series(m, tuple(float(count.get((d, m), 0)) for d in days)) for m in media]
    chart = grouped_bars("vol", "Conversations per day by channel", days, series)
    head = "".join(f'<th scope="col">{escape(m)}</th>' for m in media)
    body = "".join(
        f'<tr><th scope="row">{escape(d)}</th>'
        + "".join(f"<td>{fmt_count(count.get((d, m), 0))}</td>" for m in media)
        + "</tr>"
        for d in days
    )
    counts = data.volume.get("counts") or {}
    totals = "".join(f"<td>{fmt_count(counts.get(m))}</td>" for m in media)
    return (
        '<section id="volume"><h2>Volume by channel per day</h2>'
        f"<figure>{chart}{legend('vol', series)}"
        "<figcaption>Distinct conversations that started each day (in "
        f"{escape(data.time_zone)}), once under each channel they used.</figcaption></figure>"
        '<div class="scroll"><table><thead><tr><th scope="col">day</th>'
        f"{head}</tr></thead><tbody>{body}</tbody>"
        f'<tfoot><tr><th scope="row">interval</th>{totals}</tr></tfoot></table></div>'
        "</section>"
    )


KPI_COLUMNS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("offered", "offered", fmt_count),
    ("answered", "answered", fmt_count),
    ("abandoned", "abandoned", fmt_count),
    ("asa_ms", "ASA", fmt_duration),
    ("aht_ms", "AHT", fmt_duration),
    ("abandon_rate", "abandon rate", fmt_rate),
    ("service_level", "service level", fmt_rate),
    ("transfer_rate", "transfer rate", fmt_rate),
)


def _kpi_sections(data: PageData) -> str:
    by_queue = _kpi_table("queue", data.kpi_by_queue, "queue")
    hours = [r for r in data.kpi_by_hour.get("rows") or [] if r.get("hour") is not None]
    hours.sort(key=lambda r: str(r["hour"]))
    names = [str(r["hour"]) for r in hours]
    series = [
        Series("answered", tuple(float(r.get("answered") or 0) for r in hours)),
        Series("abandoned", tuple(float(r.get("abandoned") or 0) for r in hours)),
    ]
    chart = grouped_bars("hour", "Answered and abandoned contacts by hour of day", names, series)
    return (
        '<section id="kpis-by-queue"><h2>KPIs by queue</h2>'
        '<p class="hint no-print">Select a column\'s title to sort by it.</p>'
        f"{by_queue}</section>"
        '<section id="kpis-by-hour"><h2>KPIs by hour of day</h2>'
        f"<figure>{chart}{legend('hour', series)}"
        f"<figcaption>Hour of the conversation's start, in {escape(data.time_zone)}."
        f"</figcaption></figure>{_kpi_table('hour', data.kpi_by_hour, 'hour')}</section>"
    )


def _kpi_table(label: str, doc: Json, field: str) -> str:
    rows = doc.get("rows") or []
    columns: list[tuple[str, str, Callable[[Any], str]]] = [(field, label, str), *KPI_COLUMNS]
    return _table(
        f"kpi-{field}",
        columns,
        rows,
        doc.get("total") or {},
        sortable=field != "hour",
        first=lambda r: str(r.get(field) or NONE.get(field, "(none)")),
    )


#: Routing statuses in the order they stack (the occupied time first), their words and
#: style (index into ``svg.PALETTE``/``PATTERNS``: off queue in grey).
STATUS_STYLES = (
    ("INTERACTING", "interacting", 0),
    ("COMMUNICATING", "communicating", 5),
    ("IDLE", "idle", 2),
    ("NOT_RESPONDING", "not responding", 4),
    ("OFF_QUEUE", "off queue", 6),
)


def _agents_section(data: PageData) -> str:
    rows = sorted(
        data.agents.get("rows") or [],
        key=lambda r: str(r.get("user") or r.get("userId") or "").casefold(),
    )
    names = [_agent(r) for r in rows]
    series = [
        Series(label, tuple(float(r.get(column("routing", s)) or 0) / 3.6e6 for r in rows), style)
        for s, label, style in STATUS_STYLES
    ]
    notes = {_agent(r): f"{fmt_rate(r.get('occupancy'))} occupied" for r in rows}
    chart = stacked_hbars(
        "agents", "Hours in each routing status per agent", names, series, notes=notes
    )
    columns: list[tuple[str, str, Callable[[Any], str]]] = [
        ("user", "agent", str),
        ("occupancy", "occupancy", fmt_rate),
        *((column("routing", s), label, fmt_hours) for s, label, _ in STATUS_STYLES),
    ]
    table = _table(
        "agents",
        columns,
        rows,
        data.agents.get("totals") or {},
        sortable=True,
        first=_agent,
    )
    return (
        '<section id="agents"><h2>Agent occupancy and status time</h2>'
        f"<figure>{chart}{legend('agents', series)}"
        "<figcaption>Routing-status time clipped to the interval; the label after each bar "
        "is the agent's occupancy.</figcaption></figure>"
        f"{table}</section>"
    )


def _agent(row: Json) -> str:
    return str(row.get("user") or row.get("userId") or "(unknown)")


def _table(
    tid: str,
    columns: Sequence[tuple[str, str, Callable[[Any], str]]],
    rows: Iterable[Json],
    total: Json,
    *,
    sortable: bool,
    first: Callable[[Json], str],
) -> str:
    def header(i: int, label: str) -> str:
        if not sortable:
            return f'<th scope="col">{escape(label)}</th>'
        kind = "text" if i == 0 else "num"
        return (
            f'<th scope="col" aria-sort="none"><button type="button" data-col="{i}" '
            f'data-kind="{kind}">{escape(label)}<span class="arrow" aria-hidden="true">'
            "</span></button></th>"
        )

    head = "".join(header(i, label) for i, (_, label, _) in enumerate(columns))
    body = []
    for row in rows:
        cells = [f'<th scope="row" data-sort="{escape(first(row))}">{escape(first(row))}</th>']
        for key, _, render in columns[1:]:
            value = row.get(key)
            sort = "" if value is None else _json_attr(value)
            cells.append(f'<td data-sort="{sort}">{escape(render(value))}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    foot = '<th scope="row">total</th>' + "".join(
        f"<td>{escape(render(total.get(key)))}</td>" for key, _, render in columns[1:]
    )
    cls = ' class="sortable"' if sortable else ""
    return (
        f'<div class="scroll"><table id="{tid}"{cls}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody><tfoot><tr>{foot}</tr></tfoot></table></div>"
    )


def _definitions() -> str:
    items = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(text)}</dd>" for label, text in DEFINITIONS.values()
    )
    return (
        '<section id="definitions"><h2>How each figure is defined</h2>'
        f"<dl>{items}</dl><p>{escape(UNDEFINED)} Queue KPIs belong to the queue of the "
        "session that carries the metric; details count a conversation by its start.</p>"
        "</section>"
    )


CSS = """
:root{--ink:#1a1a1a;--muted:#4d4d4d;--line:#c8c8c8;--accent:#0072B2;--band:#f3f6f9}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;
 font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:76rem;margin:0 auto;padding:1.25rem 1.5rem 3rem}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.2rem;margin:1.8rem 0 .6rem}
.meta{color:var(--muted);margin:.2rem 0}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(10.5rem,1fr));gap:.75rem;
 margin-top:1rem}
.tile{border:1px solid var(--line);border-top:4px solid var(--accent);border-radius:4px;
 padding:.6rem .8rem;background:#fff}
.tile h2.label{font-size:.95rem;margin:0;color:var(--muted);font-weight:600}
.tile .value{font-size:1.9rem;font-weight:700;margin:.1rem 0;font-variant-numeric:tabular-nums}
.tile .def{font-size:.78rem;color:var(--muted);margin:0}
figure{margin:0 0 .8rem}
figcaption{color:var(--muted);font-size:.9rem}
.chart{max-width:100%;height:auto;display:block}
.legend{list-style:none;padding:0;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.4rem 1rem}
.legend li{display:flex;align-items:center;gap:.35rem;font-size:.9rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:.92rem}
th,td{padding:.3rem .55rem;border-bottom:1px solid var(--line);text-align:right;
 white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{border-bottom:2px solid var(--ink);vertical-align:bottom}
tbody tr:nth-child(even){background:var(--band)}
tfoot th,tfoot td{border-top:2px solid var(--ink);font-weight:700}
th button{font:inherit;font-weight:700;color:inherit;background:none;border:0;padding:0;
 cursor:pointer;text-align:inherit}
th button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
th[aria-sort=ascending] .arrow::after{content:" ▲"}
th[aria-sort=descending] .arrow::after{content:" ▼"}
.hint{color:var(--muted);font-size:.9rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem}
dt{font-weight:700}dd{margin:0}
@media (max-width:40rem){dl{grid-template-columns:1fr}}
@media print{
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{font-size:10pt}main{max-width:none;padding:0}
 .no-print{display:none}
 section,figure,.tile,tr{break-inside:avoid}
 .scroll{overflow:visible}
 th button{cursor:auto}
 h2{break-after:avoid}
}
"""

SCRIPT = """
(function () {
  "use strict";
  function key(cell, kind) {
    var raw = cell.getAttribute("data-sort");
    if (kind === "num") { return raw === "" || raw === null ? null : Number(raw); }
    return (raw || "").toLowerCase();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    table.querySelectorAll("thead button").forEach(function (button) {
      button.addEventListener("click", function () {
        var col = Number(button.getAttribute("data-col"));
        var kind = button.getAttribute("data-kind");
        var th = button.parentNode;
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col], kind), y = key(b.cells[col], kind);
          if (x === y) { return 0; }
          if (x === null) { return 1; }
          if (y === null) { return -1; }
          return (x < y ? -1 : 1) * dir;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
"""

__all__ = [
    "DEFINITIONS",
    "GENERATOR",
    "PageData",
    "Tile",
    "fmt_count",
    "fmt_duration",
    "fmt_hours",
    "fmt_rate",
    "render_page",
    "tiles",
]
