"""What the checkpoints of earlier runs cover: the gaps to read, where to continue. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from genesys_analytics.api.queries import Filters
from genesys_analytics.errors import GenesysError
from genesys_analytics.extraction.plan import remaining
from genesys_analytics.timeutil import Interval, parse_instant


def matching(done: dict[str, dict[str, Any]], filters: Filters) -> dict[str, dict[str, Any]]:
    """The checkpoints of exports with exactly these filters (they mean other data)."""
    wanted = filters.as_meta()
    return {key: meta for key, meta in done.items() if meta.get("filters", {}) == wanted}


def covered(done: dict[str, dict[str, Any]]) -> list[Interval]:
    spans = []
    for meta in done.values():
        if meta.get("live"):
            continue
        try:
            spans.append(Interval.of(meta["start"], meta["end"]))
        except (KeyError, GenesysError):
            continue
    return sorted(spans)


def incremental_start(done: dict[str, dict[str, Any]]) -> datetime | None:
    """Where an incremental run continues: the end of the complete stretch of checkpoints.

    That is the first point after the earliest checkpoint that no finished, non-live chunk
    covers: a live chunk (read again) or a hole left by a run interrupted without
    ``--resume`` (chunks finish out of order), else the end of the last chunk.
    """
    spans = covered(done)
    if not spans:
        live = [parse_instant(m["start"]) for m in done.values() if "start" in m]
        return min(live) if live else None
    last = max(span.end for span in spans)
    holes = remaining(Interval(spans[0].start, last), spans)
    return holes[0].start if holes else last


__all__ = ["covered", "incremental_start", "matching"]
