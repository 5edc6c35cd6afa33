"""KPI observations of one conversation: its sessions' KPI metrics, each with its group.

A session's metrics belong to the queue of its segments (the last segment with a
``queueId``), else to the queue of the conversation's first acd session; to the
session's media type, its participant's ``userId`` and its wrap-up code; and to the
conversation's ``originatingDirection``. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from genesys_analytics.reports.kpi_names import Names
from genesys_analytics.reports.kpi_tally import Tally
from genesys_analytics.timeutil import parse_instant


@dataclass(frozen=True, slots=True)
class Observation:
    """One KPI metric of one session: its group values, when it was emitted, its value."""

    dims: tuple[str | None, ...]  # SESSION_DIMENSIONS
    emitted: str  # the metric's emitDate (API format)
    metric: str
    value: int
    target: int | None  # the service-level target (ms) of the session's queue and media
    after: str  # "transfer" / "flow-out" when the session began after one, else ""

    @property
    def tally(self) -> Tally:
        tally = _observed(self.metric, self.value, self.target)
        assert tally is not None  # only KPI metrics are observed
        return tally


@dataclass(frozen=True, slots=True)
class Digest:
    """What the KPIs need of one conversation: its start and its observations."""

    start: datetime
    observations: tuple[Observation, ...]


def digest(conv: Mapping[str, Any], names: Names) -> Digest:
    return Digest(parse_instant(conv["conversationStart"]), tuple(observations(conv, names)))


def _observed(name: str, value: int, target: int | None) -> Tally | None:
    """The tally of one metric observation, or ``None`` for a metric no KPI uses."""
    if name == "nOffered":
        return Tally(offered=value)
    if name == "tAnswered":
        t = Tally(answered=1, answered_ms=value)
        if target is not None:
            t.sl_denominator, t.sl_numerator = 1, int(value <= target)
        return t
    if name == "tAbandon":
        return Tally(abandoned=1, sl_denominator=int(target is not None))
    if name == "tShortAbandon":
        return Tally(short_abandoned=1)
    if name == "tFlowOut":
        return Tally(flowed_out=1)
    if name == "tHandle":
        return Tally(handled=1, handle_ms=value)
    if name == "nTransferred":
        return Tally(transferred=value)
    return None


_KPI_METRICS = frozenset(
    {"nOffered", "tAnswered", "tAbandon", "tShortAbandon", "tFlowOut", "tHandle", "nTransferred"}
)


def _first_emit(conv: Mapping[str, Any], metric: str) -> str | None:
    found = [
        m["emitDate"]
        for p in conv.get("participants") or ()
        for s in p.get("sessions") or ()
        for m in s.get("metrics") or ()
        if m.get("name") == metric and m.get("emitDate")
    ]
    return min(found) if found else None


def observations(conv: Mapping[str, Any], names: Names) -> Iterator[Observation]:
    """The KPI metric observations of one conversation (module docstring: attribution)."""
    parts = conv.get("participants") or ()
    acd_queue = next(
        (
            seg["queueId"]
            for p in parts
            if p.get("purpose") == "acd"
            for s in p.get("sessions") or ()
            for seg in s.get("segments") or ()
            if seg.get("queueId")
        ),
        None,
    )
    transfer, flow_out = _first_emit(conv, "nTransferred"), _first_emit(conv, "tFlowOut")
    direction = conv.get("originatingDirection")
    for part in parts:
        for session in part.get("sessions") or ():
            metrics = session.get("metrics")
            if not metrics:
                continue
            segments = session.get("segments") or ()
            queue = next((s["queueId"] for s in reversed(segments) if s.get("queueId")), acd_queue)
            wrapup = next((s["wrapUpCode"] for s in segments if s.get("wrapUpCode")), None)
            media = session.get("mediaType")
            dims = (queue, media, direction, part.get("userId"), wrapup)
            began = segments[0].get("segmentStart", "") if segments else ""
            after = ""
            if transfer is not None and began >= transfer:
                after = "transfer"
            elif flow_out is not None and began >= flow_out:
                after = "flow-out"
            target = names.target(queue, media)
            for m in metrics:
                name = m.get("name", "")
                if name in _KPI_METRICS:
                    value = int(m.get("value") or 0)
                    yield Observation(dims, m.get("emitDate", ""), name, value, target, after)


__all__ = ["Digest", "Observation", "digest", "observations"]
