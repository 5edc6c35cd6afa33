"""The HTML report: one self-contained page built from the reports' own JSON. Pure.

:func:`render_page` turns a :class:`PageData` into one HTML string that works offline:
styles and the one small script (sorting tables) are inline, charts are inline SVG
(:mod:`genesys_analytics.reports.svg`), nothing is fetched. Every number on it comes from
the JSON documents the ``volume``, ``agents`` and ``kpi`` commands print (the CLI builds
them with the same code), so the page and the JSON agree by construction; each tile
carries its exact JSON value in ``data-value``. All text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from html import escape
from typing import Any

import orjson

from genesys_analytics.reports.agents import column
from genesys_analytics.reports.kpi_render import NONE
from genesys_analytics.reports.page_assets import CSS, SCRIPT
from genesys_analytics.reports.page_model import (
    DEFINITIONS,
    UNDEFINED,
    Json,
    PageData,
    Tile,
    fmt_count,
    fmt_duration,
    fmt_hours,
    fmt_rate,
    tiles,
)
from genesys_analytics.reports.svg import Series, grouped_bars, legend, stacked_hbars
from genesys_analytics.timeutil import fmt

#: In every page's head, so a later run knows the file is one of ours to replace.
GENERATOR = '<meta name="generator" content="genesys-analytics report">'

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
