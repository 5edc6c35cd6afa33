"""The small pieces of a synthetic conversation: timestamps, ids, segments, metrics.

Times are integers of milliseconds since the epoch until ``ts`` formats them the way the
API does. ``clip_at`` turns a finished conversation into the ongoing one seen at ``now``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from genesys_analytics.timeutil import UTC, fmt

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY_MS = 86_400_000
MIN = 60_000
HOUR = 3_600_000
MAX_LIFETIME_MS = 3 * DAY_MS
DRIFT_BASE = 1 << 27  # conversation indexes from here on are drift additions
T = TypeVar("T")


_HOUR_MINUTE = [f"T{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECOND_MILLI = [f"{s:02d}.{ms:03d}Z" for s in range(60) for ms in range(1000)]


@lru_cache(maxsize=8192)
def _day_prefix(day_number: int) -> str:
    return date.fromordinal(_EPOCH_ORDINAL + day_number).isoformat()


_RECENT: dict[int, str] = {}


def ts(ms: int) -> str:
    """Format epoch milliseconds as the API does: ``2024-05-01T08:00:00.000Z``.

    One instant is stamped several times in a conversation (a segment's end is the next
    one's start and a metric's emitDate), so recent results are reused: the same string
    object, less memory per cached day. The memo only ever maps ``ms`` to its one
    correct string, so sharing it between threads is safe.
    """
    text = _RECENT.get(ms)
    if text is None:
        if len(_RECENT) > 2048:
            _RECENT.clear()
        d, rest = divmod(ms, DAY_MS)
        hm, sm = divmod(rest, MIN)
        text = _RECENT[ms] = _day_prefix(d) + _HOUR_MINUTE[hm] + _SECOND_MILLI[sm]
    return text


_ID_SUFFIXES = tuple(("89ab"[k & 3], f"{k:04x}") for k in range(14))


def make_ids(rng: random.Random) -> list[str]:
    """Fourteen UUID-shaped ids for the parties and sessions of one conversation."""
    h = f"{rng.getrandbits(104):026x}"
    head, mid = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-", f"{h[15:18]}-{h[18:26]}"
    return [head + variant + mid + tail for variant, tail in _ID_SUFFIXES]


def uid(rng: random.Random) -> str:
    """A random version-4 UUID string drawn from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ri(rng: random.Random, a: int, b: int) -> int:
    """Like ``rng.randint(a, b)``, cheaper (one ``random()`` draw)."""
    return a + int(rng.random() * (b - a + 1))


def pick(rng: random.Random, seq: Sequence[T]) -> T:
    return seq[int(rng.random() * len(seq))]


def seg(t0: int, t1: int, kind: str, queue: str | None = None) -> dict:
    seg = {"segmentStart": ts(t0), "segmentEnd": ts(t1), "segmentType": kind}
    if queue is not None:
        seg["queueId"] = queue
    return seg


def metric(name: str, value: int, at: int) -> dict:
    return {"name": name, "value": value, "emitDate": ts(at)}


def clip_at(conv: dict, now: str) -> None:
    """Make ``conv`` look as it does at ``now`` (an API timestamp): ongoing, in place."""
    conv.pop("conversationEnd", None)
    parts = []
    for part in conv["participants"]:
        sessions = []
        for session in part["sessions"]:
            segs = [dict(s) for s in session["segments"] if s["segmentStart"] <= now]
            if not segs:
                continue
            for seg in segs:
                if seg["segmentEnd"] > now:
                    del seg["segmentEnd"]
                    seg.pop("disconnectType", None)
                    seg.pop("wrapUpCode", None)
            session["segments"] = segs
            metrics = [m for m in session.get("metrics", ()) if m["emitDate"] <= now]
            if metrics:
                session["metrics"] = metrics
            else:
                session.pop("metrics", None)
            sessions.append(session)
        if sessions:
            part["sessions"] = sessions
            parts.append(part)
    conv["participants"] = parts


def conversation_id(d: date, index: int, rng: random.Random) -> str:
    """A UUID-shaped id whose first 8 hex digits are ``YYYYMMDD`` and next 7 the index."""
    r = rng.getrandbits(60)
    return (
        f"{d.year:04d}{d.month:02d}{d.day:02d}-{index >> 12:04x}-4{index & 0xFFF:03x}-"
        f"{8 + (r & 3):x}{(r >> 2) & 0xFFF:03x}-{r >> 14:012x}"
    )


def parse_conversation_id(cid: str) -> tuple[date, int] | None:
    """Inverse of ``conversation_id``: ``(day, index)``, or ``None`` for a foreign id."""
    try:
        d = date(int(cid[0:4]), int(cid[4:6]), int(cid[6:8]))
        return d, int(cid[9:13] + cid[15:18], 16)
    except (ValueError, IndexError):
        return None


def ceil_ts(dt: datetime) -> str:
    """The API timestamp of the first whole millisecond at or after ``dt``."""
    dt = dt.astimezone(UTC)
    if dt.microsecond % 1000:
        dt += timedelta(microseconds=1000 - dt.microsecond % 1000)
    return fmt(dt)
