"""The HTML page is pure: model in, one self-contained, escaped HTML string out."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any

import orjson
import pytest

from genesys_analytics.reports.page import (
    DEFINITIONS,
    GENERATOR,
    PageData,
    fmt_count,
    fmt_duration,
    fmt_rate,
    render_page,
    tiles,
)
from genesys_analytics.reports.svg import ticks

T0 = datetime(2024, 5, 13, tzinfo=timezone.utc)
T1 = datetime(2024, 5, 15, tzinfo=timezone.utc)
EVIL = '<script>alert("x")</script> & Co'


def kpis(**over: Any) -> dict[str, Any]:
    base = {
        "offered": 40,
        "answered": 35,
        "abandoned": 4,
        "asa_ms": 23456.7,
        "aht_ms": 395_000.0,
        "abandon_rate": 0.1,
        "service_level": 0.8123,
        "transfer_rate": None,
    }
    return {**base, **over}


def data(**over: Any) -> PageData:
    fields: dict[str, Any] = {
        "start": T0,
        "end": T1,
        "time_zone": "Europe/Paris",
        "source": "details from the export may.duckdb",
        "volume": {"counts": {"chat": 3, "voice": 9}, "total": 11},
        "volume_by_day": {
            "rows": [
                {"day": "2024-05-13", "mediaType": "voice", "conversations": 5},
                {"day": "2024-05-14", "mediaType": "voice", "conversations": 4},
                {"day": "2024-05-14", "mediaType": "chat", "conversations": 3},
            ]
        },
        "agents": {
            "rows": [
                {"user": EVIL, "userId": "u1", "occupancy": 0.25, "routingIdleMs": 3_600_000},
                {"user": "Bo", "userId": "u2", "occupancy": None, "routingOffQueueMs": 7_200_000},
            ],
            "totals": {"occupancy": 0.4567, "routingIdleMs": 3_600_000},
        },
        "kpi_by_queue": {
            "rows": [
                {"queue": EVIL, "queueId": "q1", **kpis()},
                {"queue": None, "queueId": None, **kpis(offered=0, abandon_rate=None)},
            ],
            "total": kpis(),
        },
        "kpi_by_hour": {"rows": [{"hour": "09", **kpis()}], "total": kpis()},
        "generated_at": T1,
    }
    fields.update(over)
    return PageData(**fields)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each tile's value."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tile_text: dict[str, str] = {}
        self._tile: str | None = None
        self._in_value = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if "data-kpi" in a:
            self._tile = a["data-kpi"]
        if tag == "p" and a.get("class") == "value":
            self._in_value = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_value = False

    def handle_data(self, text: str) -> None:
        if self._in_value and self._tile:
            self.tile_text[self._tile] = self.tile_text.get(self._tile, "") + text


def parse(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


def test_formats() -> None:
    assert fmt_count(12345) == "12,345" and fmt_count(None) == "—"
    assert fmt_rate(0.81234) == "81.2%" and fmt_rate(0) == "0.0%" and fmt_rate(None) == "—"
    assert fmt_duration(23456.7) == "23.5s"
    assert fmt_duration(59_960) == "1m 00s"
    assert fmt_duration(395_000) == "6m 35s"
    assert fmt_duration(7_620_000) == "2h 07m"
    assert fmt_duration(None) == "—"


def test_tiles_carry_the_json_values_exactly() -> None:
    page = data()
    parsed = parse(render_page(page))
    values = {a["data-kpi"]: a["data-value"] for _, a in parsed.tags if "data-kpi" in a}
    assert values == {
        "volume": "11",
        "asa": "23456.7",
        "aht": "395000.0",
        "abandon_rate": "0.1",
        "service_level": "0.8123",
        "occupancy": "0.4567",
    }
    assert parsed.tile_text == {
        "volume": "11",
        "asa": "23.5s",
        "aht": "6m 35s",
        "abandon_rate": "10.0%",
        "service_level": "81.2%",
        "occupancy": "45.7%",
    }
    assert [t.value for t in tiles(page)] == [11, 23456.7, 395_000.0, 0.1, 0.8123, 0.4567]


def test_an_undefined_kpi_is_a_dash_and_null() -> None:
    empty = kpis(asa_ms=None, service_level=None)
    page = data(kpi_by_queue={"rows": [], "total": empty})
    parsed = parse(render_page(page))
    values = {a["data-kpi"]: a["data-value"] for _, a in parsed.tags if "data-kpi" in a}
    assert values["asa"] == "null" and parsed.tile_text["asa"] == "—"
    assert values["service_level"] == "null" and parsed.tile_text["service_level"] == "—"


def test_all_text_is_escaped() -> None:
    page = render_page(data(source=EVIL, time_zone="<b>UTC</b>"))
    assert "<script>alert" not in page and "<b>UTC" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert len(re.findall(r"<script>", page)) == 1, "only the page's own script"


def test_the_page_is_self_contained() -> None:
    page = render_page(data())
    tags = parse(page).tags
    assert not [t for t, a in tags if t in ("link", "img", "iframe", "object", "embed")]
    assert not [a for t, a in tags if t == "script" and "src" in a]
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+", page))
    assert not urls, urls
    assert "@import" not in page and "url(http" not in page
    assert page.startswith("<!DOCTYPE html>") and GENERATOR in page
    assert "@media print" in page


def test_the_page_defines_every_figure_and_names_interval_and_source() -> None:
    page = render_page(data())
    for label, text in DEFINITIONS.values():
        assert f"<dt>{label}</dt>" in page
        assert orjson.dumps(text).decode()[1:-1].split(" ")[0] in page
    assert "2024-05-13T00:00:00.000Z → 2024-05-15T00:00:00.000Z" in page
    assert "details from the export may.duckdb" in page and "Europe/Paris" in page


def test_charts_are_svg_with_a_title_and_patterns_not_colour_alone() -> None:
    page = render_page(data())
    tags = parse(page).tags
    charts = [a for t, a in tags if t == "svg" and a.get("class") == "chart"]
    assert len(charts) == 3 and all(a.get("role") == "img" for a in charts)
    patterns = [a["id"] for t, a in tags if t == "pattern"]
    assert len(patterns) == len(set(patterns)), "pattern ids are unique in the page"
    # the queue table sorts (buttons in its headers); the by-hour table is in hour order
    buttons = [a for t, a in tags if t == "button"]
    assert {a["data-kind"] for a in buttons} == {"text", "num"}
    sortable = [a["id"] for t, a in tags if t == "table" and a.get("class") == "sortable"]
    assert sortable == ["kpi-queue", "agents"]


@pytest.mark.parametrize(
    ("peak", "expected"),
    [
        (0, [0.0, 1.0]),
        (7, [0, 2, 4, 6, 8]),
        (47.5, [0, 10, 20, 30, 40, 50]),
        (100, [0, 20, 40, 60, 80, 100]),
    ],
)
def test_axis_ticks_are_round_and_reach_the_peak(peak: float, expected: list[float]) -> None:
    assert ticks(peak) == expected
