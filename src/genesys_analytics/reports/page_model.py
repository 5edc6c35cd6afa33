"""What the HTML report shows: its input documents, the headline tiles, the definitions.

Also the formatting the tiles and tables use (tests check them against the JSON). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Json = Mapping[str, Any]
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


__all__ = [
    "DASH",
    "DEFINITIONS",
    "UNDEFINED",
    "Json",
    "PageData",
    "Tile",
    "fmt_count",
    "fmt_duration",
    "fmt_hours",
    "fmt_rate",
    "tiles",
]
