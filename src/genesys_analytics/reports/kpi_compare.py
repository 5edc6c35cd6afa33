"""KPIs from details and from aggregates side by side, and why they differ (pure).

Details put every metric of a conversation at its ``conversationStart``; aggregates put
each metric where Genesys emitted it. Given the conversations that started up to
``LEAD`` before the interval as well (a conversation lives at most three days), every
observation can be placed both ways, so the difference of each count and sum is split
exactly into moves, each with its reason:

- **emit time**: a metric emitted in another row (day, hour) than the conversation's
  start, emitted after the interval's end, or emitted inside the interval by a
  conversation that started before it;
- **transfers**: the same, for the second queue's metrics of a transferred contact
  (offered and answered when the transfer happens, not when the conversation started);
- **flow-outs**: the same, for the callback a caller asked for when leaving the voice
  queue (offered then, answered up to an hour later).

Whatever the moves do not account for is reported as unexplained (conversations older
than the lead, an org that counts flow-outs in its service level, data not yet in
details), with the row it is in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta

from genesys_analytics.api.aggregates import zone
from genesys_analytics.reports.kpi import Table, digests_table, key_of
from genesys_analytics.reports.kpi_observations import Digest
from genesys_analytics.reports.kpi_tally import KPIS, Tally, kpis
from genesys_analytics.reports.model import Key, VolumeReport, VolumeRow, sort_key
from genesys_analytics.timeutil import Interval, fmt, parse_instant

#: how far before the interval the details for a comparison start (a conversation's life)
LEAD = timedelta(days=3)
REASONS = {
    "emit time": "emit time vs conversation start",
    "transfer": "transfers (the second queue's metrics come at the transfer)",
    "flow-out": "flow-outs (the callback is offered when the caller leaves the voice queue)",
}
#: the parts of a tally a note speaks of, with their unit
COUNTS = {
    "offered": "offers",
    "answered": "answers",
    "abandoned": "abandons",
    "handled": "handled contacts",
    "transferred": "transfers",
    "sl_denominator": "service-level contacts",
}
COLUMNS = tuple(f"{k}_{side}" for k in KPIS for side in ("details", "aggregates"))


@dataclass
class Moves:
    """One reason's moves: into the interval, out of it, and between rows inside it."""

    into: Tally = field(default_factory=Tally)
    out: Tally = field(default_factory=Tally)
    between: Tally = field(default_factory=Tally)
    rows: dict[Key, Tally] = field(default_factory=dict)  # net change per row

    def move(self, tally: Tally, src: Key | None, dst: Key | None) -> None:
        if src is None:
            self.into.add(tally)
        elif dst is None:
            self.out.add(tally)
        else:
            self.between.add(tally)
        if dst is not None:
            self.rows.setdefault(dst, Tally()).add(tally)
        if src is not None:
            self.rows.setdefault(src, Tally()).add(Tally().minus(tally))


def moves_of(
    digests: Iterable[Digest], interval: Interval, by: Sequence[str], time_zone: str | None
) -> dict[str, Moves]:
    """Every observation whose row by emit time differs from its row by start, by reason."""
    tz = zone(time_zone)
    lo, hi = fmt(interval.start), fmt(interval.end)
    timed = "day" in by or "hour" in by
    moves = {reason: Moves() for reason in REASONS}
    for d in digests:
        started = interval.contains(d.start)
        for obs in d.observations:
            emitted = lo <= obs.emitted < hi
            if not started and not emitted:
                continue
            src = key_of(obs.dims, d.start, by, tz) if started else None
            dst = None
            if emitted:
                at = parse_instant(obs.emitted) if timed else d.start
                dst = key_of(obs.dims, at, by, tz)
            if src != dst:
                moves[obs.after or "emit time"].move(obs.tally, src, dst)
    return moves


def compare_kpis(
    digests: Sequence[Digest],
    aggregates: Table,
    interval: Interval,
    by: Sequence[str],
    time_zone: str | None = None,
) -> VolumeReport:
    """Details (``digests`` from ``LEAD`` before the interval on) and aggregates side by
    side per row, with notes that say which difference each reason explains."""
    details = digests_table(digests, interval, by, time_zone)
    moves = moves_of(digests, interval, by, time_zone)
    keys = set(details.groups) | set(aggregates.groups)
    rows = []
    unexplained: dict[Key, Tally] = {}
    for key in sorted(keys, key=sort_key):
        d, a = details.groups.get(key, Tally()), aggregates.groups.get(key, Tally())
        rows.append(VolumeRow(key, _side_by_side(d, a)))
        rest = a.minus(d)
        for m in moves.values():
            rest = rest.minus(m.rows.get(key, Tally()))
        if _nonzero(rest):
            unexplained[key] = rest
    notes = _notes(details.total, aggregates.total, moves, unexplained, by)
    return VolumeReport(
        interval,
        "details+aggregates",
        tuple(by),
        COLUMNS,
        tuple(rows),
        _side_by_side(details.total, aggregates.total),
        time_zone or "UTC",
        tuple(notes),
    )


def _side_by_side(d: Tally, a: Tally) -> dict[str, float | int | None]:
    dk, ak = kpis(d), kpis(a)
    return {f"{k}_{side}": v[k] for k in KPIS for side, v in (("details", dk), ("aggregates", ak))}


def _nonzero(t: Tally) -> bool:
    return any(abs(getattr(t, f.name)) > 1e-9 for f in fields(t))


def _n(value: float) -> str:
    return f"{round(value):,}"


def _notes(
    details: Tally,
    aggregates: Tally,
    moves: Mapping[str, Moves],
    unexplained: Mapping[Key, Tally],
    by: Sequence[str],
) -> list[str]:
    notes = [
        "details count each conversation that started in the interval, at its start; "
        "aggregates count each metric Genesys emitted in the interval, where it was emitted."
    ]
    for name, unit in COUNTS.items():
        d, a = getattr(details, name), getattr(aggregates, name)
        parts = []
        for reason, m in moves.items():
            into, out, between = (getattr(t, name) for t in (m.into, m.out, m.between))
            if not (into or out or between):
                continue
            bits = []
            if into:
                bits.append(
                    f"+{_n(into)} emitted in the interval by conversations that started before it"
                )
            if out:
                bits.append(f"−{_n(out)} emitted after its end")
            if between:
                bits.append(f"{_n(between)} moved to another row")
            parts.append(f"{REASONS[reason]}: {', '.join(bits)}")
        if d == a and not parts:
            continue
        rest = a - d - sum(getattr(m.into, name) - getattr(m.out, name) for m in moves.values())
        text = f"{unit}: details {_n(d)}, aggregates {_n(a)} ({a - d:+,.0f})"
        text += (". " + "; ".join(parts)) if parts else ""
        if abs(rest) > 1e-9:
            text += f"; unexplained {rest:+,.0f}"
        notes.append(text + ".")
    if aggregates.flowed_out or details.flowed_out:
        notes.append(
            f"flow-outs: {_n(details.flowed_out)} (details) and {_n(aggregates.flowed_out)} "
            "(aggregates) offered contacts left the queue unanswered and unabandoned, so "
            "offered > answered + abandoned; neither service level counts them (the Genesys "
            "default)."
        )
    if unexplained:
        worst = sorted(unexplained, key=sort_key)[:3]
        shown = ", ".join(
            "(" + ", ".join("—" if v is None else v for v in key) + ")" for key in worst
        )
        notes.append(
            f"{len(unexplained):,} rows keep a difference no reason explains, e.g. {shown}: "
            "conversations older than the three-day lead, an org setting that counts "
            "flow-outs or drops short abandons in service level, or data not yet in details."
        )
    else:
        notes.append(
            "every difference in every row"
            + (f" ({', '.join(by)})" if by else "")
            + " is explained by the reasons above."
        )
    return notes


__all__ = ["COLUMNS", "LEAD", "REASONS", "Moves", "compare_kpis", "moves_of"]
