"""Agents' presence and routing-status records, built from the shifts and the conversations.

Per agent, both timelines are contiguous from the world's origin (two days before the
first day) to ``now``:

- presence: OFFLINE between shifts, then the shift's segments (see ``roster``);
- routing: OFF_QUEUE outside the routing blocks (each a few hundred ms inside an ON_QUEUE
  segment); inside a block INTERACTING while any of the agent's sessions runs (from its
  first segment's start to its last segment's end) and IDLE otherwise.

Every agent session lies inside one of its agent's blocks (``Roster.staff`` chose the
agent that way), so an agent is ON_QUEUE and INTERACTING while connected to a session.
Only generated conversations count, not those the drift fault adds later.

A leaver's timelines end at noon of the leave day. The longest records are the OFFLINE
and OFF_QUEUE around a day off (under ~1.7 days), so every record overlapping a window
is stored under a day of any query that starts a day before the window.

Records are clipped at ``now``: none starts at or after it, and the one running at ``now``
is open (``end == OPEN``, shown without ``endTime``). A record is the tuple
``(start_ms, end_ms, user_id, kind, status, organization_presence_id)`` with ``kind``
``"presence"`` or ``"routing"`` (``status`` is the system presence or routing status).
Day by day they are built lazily and kept in a small LRU: the records touching UTC day
``d`` need the shifts around it and the agent sessions of conversation days ``d-4..d+1``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta

from genesys_analytics.emulator.data.pieces import DAY_MS, MAX_LIFETIME_MS, ts
from genesys_analytics.emulator.data.roster import Agent, Roster, Shift, day_of, ms_of

OPEN = 1 << 62
PRESENCE = "presence"
ROUTING = "routing"
Record = tuple[int, int, str, str, str, str]
_EPOCH = datetime(1970, 1, 1)


def parse_ms(text: str) -> int:
    """Epoch milliseconds of an API timestamp ``2024-05-01T08:00:00.000Z``."""
    delta = datetime.fromisoformat(text[:-1]) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def end_day(rec: Record) -> date | None:
    return None if rec[1] == OPEN else day_of(rec[1])


def record_json(rec: Record) -> dict:
    """A record as the API shows it (``AnalyticsUserPresenceRecord`` or routing's)."""
    out = {"startTime": ts(rec[0])}
    if rec[1] != OPEN:
        out["endTime"] = ts(rec[1])
    if rec[3] == PRESENCE:
        out["systemPresence"] = rec[4]
        out["organizationPresenceId"] = rec[5]
    else:
        out["routingStatus"] = rec[4]
    return out


class Timelines:
    """Records of every agent, generated per UTC day on demand. Thread-safe."""

    def __init__(
        self,
        roster: Roster,
        conversations: Callable[[date], list[dict]],
        first_day: date,
        now_ms: int,
        *,
        cache_days: int = 48,
    ) -> None:
        self.roster = roster
        self._conversations = conversations
        self.first_day = first_day
        self.now_ms = now_ms
        self.now_day = day_of(now_ms)
        self._cache_days = cache_days
        self._lock = threading.Lock()
        self._busy: OrderedDict[date, dict[str, list[tuple[int, int]]]] = OrderedDict()
        self._days: OrderedDict[date, list[Record]] = OrderedDict()

    # -- sessions --------------------------------------------------------------------
    def _busy_of(self, d: date) -> dict[str, list[tuple[int, int]]]:
        """User id -> the ``(start, end)`` of each agent session of conversations of ``d``."""
        with self._lock:
            hit = self._busy.get(d)
            if hit is not None:
                self._busy.move_to_end(d)
                return hit
        out: dict[str, list[tuple[int, int]]] = {}
        if self.first_day <= d <= self.now_day:
            for conv in self._conversations(d):
                for part in conv["participants"]:
                    if part["purpose"] != "agent":
                        continue
                    spans = out.setdefault(part["userId"], [])
                    for session in part["sessions"]:
                        segs = session["segments"]
                        last = segs[-1].get("segmentEnd")
                        spans.append(
                            (parse_ms(segs[0]["segmentStart"]), parse_ms(last) if last else OPEN)
                        )
        with self._lock:
            self._busy[d] = out
            while len(self._busy) > self._cache_days:
                self._busy.popitem(last=False)
        return out

    def _sessions_in(self, user_id: str, start: int, end: int) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        d, last = day_of(start - MAX_LIFETIME_MS), day_of(end)
        while d <= last:
            spans.extend(s for s in self._busy_of(d).get(user_id, ()) if start <= s[0] < end)
            d += timedelta(days=1)
        spans.sort()
        return spans

    # -- one agent ---------------------------------------------------------------------
    def _around(
        self, agent: Agent, lo: date, hi: date
    ) -> tuple[Shift | None, list[Shift], Shift | None]:
        """The last shift keyed before ``lo``, the shifts keyed in ``[lo, hi]``, the next one."""
        roster = self.roster
        shifts = []
        d = lo
        while d <= hi:
            shift = roster.shift_of(agent.index, d)
            if shift is not None:
                shifts.append(shift)
            d += timedelta(days=1)
        prev = None
        d = lo - timedelta(days=1)
        if agent.leave_day is not None:
            d = min(d, agent.leave_day - timedelta(days=1))
        while prev is None and d > roster.origin_day:
            prev = roster.shift_of(agent.index, d)
            d -= timedelta(days=1)
        nxt = None
        d = hi + timedelta(days=1)
        while nxt is None and d <= self.now_day + timedelta(days=1):
            if agent.leave_day is not None and d >= agent.leave_day:
                break
            nxt = roster.shift_of(agent.index, d)
            d += timedelta(days=1)
        return prev, shifts, nxt

    def _agent_records(self, agent: Agent, w0: int, w1: int) -> Iterator[Record]:
        """Records of ``agent`` overlapping ``[w0, w1]`` (closed), unclipped."""
        prev, shifts, nxt = self._around(
            agent, day_of(w0) - timedelta(days=1), day_of(w1 - 1) + timedelta(days=1)
        )
        uid = self.roster.agents[agent.index].user_id
        system_of = self.roster.system_of
        offline = self.roster.mappings["OFFLINE"][0]
        leave = self.roster.leave_ms(agent)
        last = OPEN if leave is None else leave
        # presence
        t = prev.end if prev else self.roster.origin_ms
        for shift in shifts:
            yield (t, shift.start, uid, PRESENCE, "OFFLINE", offline)
            for s, e, def_id in shift.segments:
                yield (s, e, uid, PRESENCE, system_of[def_id], def_id)
            t = shift.end
        yield (t, nxt.start if nxt else last, uid, PRESENCE, "OFFLINE", offline)
        # routing
        t = prev.blocks[-1][1] if prev else self.roster.origin_ms
        for shift in shifts:
            for bs, be in shift.blocks:
                yield (t, bs, uid, ROUTING, "OFF_QUEUE", "")
                t = bs
                if be >= w0 and bs <= w1 and bs < self.now_ms:
                    for a, b in _union(self._sessions_in(uid, bs, be)):
                        if a > t:
                            yield (t, a, uid, ROUTING, "IDLE", "")
                        yield (a, b, uid, ROUTING, "INTERACTING", "")
                        t = b
                if t < be:
                    yield (t, be, uid, ROUTING, "IDLE", "")
                t = max(t, be)
        yield (t, nxt.blocks[0][0] if nxt else last, uid, ROUTING, "OFF_QUEUE", "")

    def _clipped(self, records: Iterable[Record]) -> Iterator[Record]:
        """Records as seen at ``now``: none starting at or after it, the running one open."""
        now = self.now_ms
        for rec in records:
            start, end = rec[0], rec[1]
            if start >= now or end <= start:
                continue
            yield rec if end <= now else (start, OPEN, rec[2], rec[3], rec[4], rec[5])

    # -- days ------------------------------------------------------------------------------
    def touching(self, d: date) -> list[Record]:
        """Every record whose closed span ``[start, end or now]`` meets UTC day ``d``."""
        if d < self.roster.origin_day or d > self.now_day:
            return []
        with self._lock:
            hit = self._days.get(d)
            if hit is not None:
                self._days.move_to_end(d)
                return hit
        w0 = ms_of(d)
        w1 = w0 + DAY_MS
        out = [
            rec
            for agent in self.roster.agents
            for rec in self._clipped(self._agent_records(agent, w0, w1))
            if rec[0] < w1 and min(rec[1], self.now_ms) >= w0
        ]
        with self._lock:
            self._days[d] = out
            while len(self._days) > self._cache_days:
                self._days.popitem(last=False)
        return out

    def indexed(self, d: date) -> list[Record]:
        """What the service stores under day ``d``: records that start or end on it."""
        return [r for r in self.touching(d) if day_of(r[0]) == d or end_day(r) == d]

    def overlapping(self, a: int, b: int) -> list[Record]:
        """Records meeting ``[a, b]`` (start before ``b``, not ended before ``a``), each
        once, by (start, user, kind)."""
        seen: dict[tuple[str, str, int], Record] = {}
        d, last = day_of(a), day_of(b - 1)
        while d <= last:
            for rec in self.touching(d):
                if rec[0] < b and min(rec[1], self.now_ms) >= a:
                    seen[(rec[2], rec[3], rec[0])] = rec
            d += timedelta(days=1)
        return sorted(seen.values(), key=lambda r: (r[0], r[2], r[3]))

    def started(self, a: int, b: int) -> list[Record]:
        """Records whose ``startTime`` lies in ``[a, b)``, by (start, user, kind)."""
        out: list[Record] = []
        d, last = day_of(a), day_of(b - 1)
        while d <= last:
            out.extend(r for r in self.touching(d) if a <= r[0] < b and day_of(r[0]) == d)
            d += timedelta(days=1)
        return sorted(out, key=lambda r: (r[0], r[2], r[3]))


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping or touching ones joined."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
