"""The shape of a report: rows keyed by the dimensions of ``--by``, their values, totals.

Every source (details, aggregates, a comparison of both) produces a :class:`VolumeReport`,
so one renderer and one chart draw them all. :class:`Volume` is the one-dimension view
(``counts`` and ``total``) that the tutorial's report and the demo print.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Literal

from genesys_analytics.errors import ConfigError
from genesys_analytics.timeutil import Interval, fmt

Source = Literal["details", "aggregates"]
DIMENSIONS = ("mediaType", "queue", "direction", "day", "hour")
Key = tuple[str | None, ...]


def parse_by(text: str) -> tuple[str, ...]:
    """``"queue,mediaType"`` → ``("queue", "mediaType")``; ConfigError on unknown/duplicates."""
    lowered = {d.lower(): d for d in DIMENSIONS}
    dims = []
    for part in (p.strip() for p in text.split(",")):
        name = lowered.get(part.lower())
        if name is None:
            raise ConfigError(f"--by {part!r} is not one of {', '.join(DIMENSIONS)}.")
        if name in dims:
            raise ConfigError(f"--by names {name!r} twice.")
        dims.append(name)
    if not dims:
        raise ConfigError(f"--by needs one or more of {', '.join(DIMENSIONS)}.")
    return tuple(dims)


@dataclass(frozen=True)
class VolumeRow:
    key: Key
    values: Mapping[str, float | int | None]


@dataclass(frozen=True)
class VolumeReport:
    """One report: rows per key of ``by``, their metrics, totals and notes."""

    interval: Interval
    source: str
    by: tuple[str, ...]
    metrics: tuple[str, ...]
    rows: tuple[VolumeRow, ...]
    totals: Mapping[str, float | int | None]
    time_zone: str = "UTC"
    notes: tuple[str, ...] = ()

    @property
    def primary(self) -> str:
        return self.metrics[0]

    def value(self, key: Key, metric: str | None = None) -> float | int | None:
        for row in self.rows:
            if row.key == key:
                return row.values.get(metric or self.primary)
        return None


def local_time(instant: datetime, tz: tzinfo) -> dict[str, str]:
    """The ``day`` (``YYYY-MM-DD``) and ``hour`` (``00``..``23``) of ``instant`` in ``tz``:
    the one bucketing rule of every report (a bucket is labelled by its start)."""
    local = instant.astimezone(tz)
    return {"day": local.date().isoformat(), "hour": f"{local.hour:02d}"}


def sort_key(key: Key) -> tuple[tuple[int, str], ...]:
    return tuple((1, "") if v is None else (0, v) for v in key)


@dataclass(frozen=True)
class Volume:
    interval: Interval
    source: Source
    by: str = "mediaType"
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "start": fmt(self.interval.start),
            "end": fmt(self.interval.end),
            "by": self.by,
            "source": self.source,
            "counts": dict(sorted(self.counts.items())),
            "total": self.total,
        }


def volume_of(report: VolumeReport) -> Volume:
    """The legacy ``counts``/``total`` view of a one-dimension report."""
    counts = {str(r.key[0]): int(r.values.get(report.primary) or 0) for r in report.rows}
    total = int(report.totals.get(report.primary) or 0)
    return Volume(report.interval, report.source, report.by[0], counts, total)  # type: ignore[arg-type]


def report_json(report: VolumeReport, fields: Callable[[Key], dict[str, Any]]) -> dict[str, Any]:
    """The head of every report's JSON: interval, grouping, source, zone, then one row per
    key (``fields`` names the key's values, then each metric)."""
    return {
        "start": fmt(report.interval.start),
        "end": fmt(report.interval.end),
        "by": ",".join(report.by),
        "source": report.source,
        "timeZone": report.time_zone,
        "rows": [
            {**fields(r.key), **{m: r.values.get(m) for m in report.metrics}} for r in report.rows
        ],
    }


__all__ = [
    "DIMENSIONS",
    "Key",
    "Source",
    "Volume",
    "VolumeReport",
    "VolumeRow",
    "local_time",
    "parse_by",
    "report_json",
    "sort_key",
    "volume_of",
]
