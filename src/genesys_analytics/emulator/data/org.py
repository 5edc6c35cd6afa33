"""The emulator's synthetic contact-centre org: queues, agents and conversations.

Conversations are generated lazily, one UTC day at a time, from ``(seed, day)`` only, so a
day's content never depends on which days were generated before it, and a month at
50,000 conversations a day never sits in memory at once (a small LRU keeps a few days).

A conversation id encodes its day and its index in that day: ``YYYYMMDD-IIII-4III-...``
(hex digits, still a valid UUID string), so ``Org.conversation(id)`` regenerates one day
at most. Conversations added by drift (``Org.add``) use indexes from ``DRIFT_BASE`` up
and live in a per-day overlay.
"""

from __future__ import annotations

import gc
import itertools
import logging
import random
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from genesys_analytics.emulator.data.pieces import (
    DRIFT_BASE,
    HOUR,
    MAX_LIFETIME_MS,
    ceil_ts,
    conversation_id,
    parse_conversation_id,
)
from genesys_analytics.emulator.data.roster import Roster
from genesys_analytics.emulator.data.shapes import Refs, Shaper
from genesys_analytics.emulator.data.timelines import Timelines
from genesys_analytics.timeutil import UTC, day_start, fmt

__all__ = [
    "DRIFT_BASE",
    "WRAPUP_TIMEOUT",
    "Org",
    "OrgSpec",
    "conversation_id",
    "media_types",
    "parse_conversation_id",
    "query_shape",
    "truth",
]

log = logging.getLogger(__name__)

# relative traffic per UTC hour of day and per weekday (Mon..Sun, mean 1.0)
HOUR_WEIGHTS = (
    (0.1,) * 6
    + (0.4, 0.8)
    + (1.6, 1.9, 2.0, 1.9, 1.6, 1.7, 1.9, 1.9, 1.7, 1.4)
    + (0.8, 0.5)
    + (0.35, 0.25, 0.2, 0.15)
)
WEEKDAY_WEIGHTS = (1.2, 1.2, 1.2, 1.2, 1.2, 0.55, 0.45)
_CUM_HOURS = list(itertools.accumulate(HOUR_WEIGHTS))

_QUEUES = (
    ("General Enquiries", ("voice", "callback", "chat", "message")),
    ("Sales", ("voice", "callback", "chat")),
    ("Billing", ("voice", "email", "message")),
    ("Technical Support", ("voice", "chat", "email", "callback")),
    ("Retentions", ("voice",)),
    ("Priority Care", ("voice", "message", "callback")),
    ("Email Support", ("email",)),
    ("Digital Messaging", ("chat", "message")),
)
_WRAPUPS = (
    "Resolved",
    "Follow-up needed",
    "Escalated",
    "Sale made",
    "No sale",
    "Billing question",
    "Wrong number",
    "Callback scheduled",
)
WRAPUP_TIMEOUT = "ININ-WRAP-UP-TIMEOUT"  # a system code, not in /routing/wrapupcodes
# service-level targets per media type: (percentage, seconds)
_SERVICE_LEVELS = {
    "voice": ((0.8, 20), (0.9, 30), (0.8, 30)),
    "callback": ((0.8, 3600), (0.9, 1800)),
    "chat": ((0.8, 60), (0.85, 45)),
    "message": ((0.8, 600), (0.9, 900)),
    "email": ((0.8, 14_400), (0.9, 86_400)),
}


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class OrgSpec:
    seed: int = 7
    days: int = 14  # days of history, ending with the day of ``now``
    per_day: int = 500  # mean conversations a day; weekday and hour patterns vary it
    now: datetime = field(default=datetime(2024, 5, 15, 12, 0, tzinfo=UTC))


def day_rng(seed: int, d: date, salt: int = 0) -> random.Random:
    """The random stream of one day: a function of ``(seed, day)`` only."""
    return random.Random((seed * 1_000_003 + d.toordinal()) * 7 + salt)


class Org:
    """One synthetic org. Thread-safe.

    ``day()`` returns a fresh list, but the conversation dicts in it are shared with the
    cache and with other callers: treat them as read-only (copy before changing one).

    ``pause_gc=True`` generates days under :func:`_gc_paused`, which changes the garbage
    collector of the whole process: only for an emulator that is its own process.
    """

    def __init__(self, spec: OrgSpec, *, cache_days: int = 4, pause_gc: bool = False) -> None:
        self.spec = spec
        self._pause_gc = pause_gc
        self.now = spec.now.astimezone(UTC)
        self.last_day = self.now.date()
        self.first_day = self.last_day - timedelta(days=spec.days - 1)
        self.max_lifetime = timedelta(milliseconds=MAX_LIFETIME_MS)
        self._now_ms = _ms(self.now)
        self._cache_days = cache_days
        self._cache: OrderedDict[date, list[dict]] = OrderedDict()
        self._overlay: dict[date, list[dict]] = {}
        self._extra: dict[str, dict] = {}
        self._drift_index = itertools.count(DRIFT_BASE)
        self._lock = threading.Lock()
        rng = random.Random(spec.seed)
        created = fmt(datetime(2021, 3, 1, tzinfo=UTC))
        self.divisions: list[dict[str, Any]] = [
            {
                "id": _uid(rng),
                "name": name,
                "description": f"The {name} division",
                "homeDivision": name == "Home",
                "selfUri": "",
            }
            for name in ("Home", "Operations")
        ]
        for div in self.divisions:
            div["selfUri"] = f"/api/v2/authorization/divisions/{div['id']}"
        home = {k: str(self.divisions[0][k]) for k in ("id", "name", "selfUri")}
        self.roster = Roster(spec.seed, self.first_day, spec.days, home)
        self.users = self.roster.users
        self.presence_definitions = self.roster.definitions
        self.queues = []
        by_media: dict[str, list[tuple[str, str]]] = {}
        #: (queueId, mediaType) -> (serviceLevel.percentage, serviceLevel.durationMs)
        self.service_levels: dict[tuple[str, str], tuple[float, int]] = {}
        for name, media in _QUEUES:
            qid = _uid(rng)
            settings = {m: _media_settings(m, rng) for m in media}
            for m, values in settings.items():
                level = values["serviceLevel"]
                self.service_levels[(qid, m)] = (level["percentage"], level["durationMs"])
            self.queues.append(
                {
                    "id": qid,
                    "name": name,
                    "division": dict(home),
                    "dateCreated": created,
                    "memberCount": 0,
                    "mediaSettings": {
                        ("call" if m == "voice" else m): values for m, values in settings.items()
                    },
                    "selfUri": f"/api/v2/routing/queues/{qid}",
                }
            )
            for m in media:
                by_media.setdefault(m, []).append((qid, name))
        self.wrapups = [
            {
                "id": _uid(rng),
                "name": name,
                "division": dict(home),
                "description": f"Wrap-up: {name.lower()}",
                "dateCreated": created,
                "dateModified": created,
                "createdBy": self.users[-1]["id"],
                "selfUri": "",
            }
            for name in _WRAPUPS
        ]
        for code in self.wrapups:
            code["selfUri"] = f"/api/v2/routing/wrapupcodes/{code['id']}"
        self.wrapup_codes = [w["id"] for w in self.wrapups]
        self.members = _members(self.queues, self.roster, spec.seed)
        flows = tuple((_uid(rng), n) for n in ("Main IVR", "Support IVR", "After Hours"))
        self._shaper = Shaper(
            Refs(
                queues_by_media={m: tuple(v) for m, v in by_media.items()},
                staff=self.roster.staff,
                wrapups=(*self.wrapup_codes, WRAPUP_TIMEOUT),
                flows=flows,
                division_id=home["id"],
                now_ms=self._now_ms,
                targets={k: ms for k, (_, ms) in self.service_levels.items()},
            )
        )
        self.timelines = Timelines(self.roster, self._base, self.first_day, self._now_ms)

    # -- days ----------------------------------------------------------------------
    def day_count(self, d: date) -> int:
        """How many conversations day ``d`` would hold with no ``now`` cut-off."""
        rng = day_rng(self.spec.seed, d, salt=1)
        mean = self.spec.per_day * WEEKDAY_WEIGHTS[d.weekday()]
        return max(0, round(mean * rng.uniform(0.93, 1.07)))

    def _generate(self, d: date) -> list[dict]:
        if not self._pause_gc:
            return self._generate_day(d)
        with _gc_paused():
            return self._generate_day(d)

    def _generate_day(self, d: date) -> list[dict]:
        n = self.day_count(d)
        rng = day_rng(self.spec.seed, d)
        base = _ms(day_start(d))
        hours = rng.choices(range(24), cum_weights=_CUM_HOURS, k=n)
        randrange = rng.randrange
        starts = sorted(base + h * HOUR + randrange(HOUR) for h in hours)
        cut = self._now_ms
        build = self._shaper.build
        out = []
        for i, start in enumerate(starts):
            if start >= cut:
                break
            out.append(build(conversation_id(d, i, rng), start, rng))
        return out

    def _base(self, d: date) -> list[dict]:
        with self._lock:
            hit = self._cache.get(d)
            if hit is not None:
                self._cache.move_to_end(d)
                return hit
        convs = self._generate(d)  # outside the lock: deterministic, so a race is harmless
        with self._lock:
            self._cache[d] = convs
            self._cache.move_to_end(d)
            while len(self._cache) > self._cache_days:
                self._cache.popitem(last=False)
        log.debug("generated %d conversations for %s", len(convs), d)
        return convs

    @property
    def cached_days(self) -> list[date]:
        with self._lock:
            return list(self._cache)

    def day(self, d: date) -> list[dict]:
        """Conversations that started on UTC day ``d``, by (conversationStart, id)."""
        if not self.first_day <= d <= self.last_day:
            return []
        base = self._base(d)
        with self._lock:
            extra = list(self._overlay.get(d, ()))
        if not extra:
            return list(base)
        return sorted([*base, *extra], key=_order)

    def conversation(self, conversation_id: str) -> dict | None:
        with self._lock:
            extra = self._extra.get(conversation_id)
        if extra is not None:
            return extra
        parsed = parse_conversation_id(conversation_id)
        if parsed is None or not self.first_day <= parsed[0] <= self.last_day:
            return None
        d, index = parsed
        base = self._base(d)
        if index < len(base) and base[index]["conversationId"] == conversation_id:
            return base[index]
        return None

    def iter_started(self, start: datetime, end: datetime) -> Iterator[dict]:
        """Conversations with ``conversationStart`` in ``[start, end)``, ascending."""
        lo, hi = ceil_ts(start), ceil_ts(end)
        d = max(start.astimezone(UTC).date(), self.first_day)
        last = min(end.astimezone(UTC).date(), self.last_day)
        while d <= last:
            for conv in self.day(d):
                if lo <= conv["conversationStart"] < hi:
                    yield conv
            d += timedelta(days=1)

    # -- drift -----------------------------------------------------------------------
    def make_conversation(self, start: datetime, rng: random.Random) -> dict:
        """A fresh conversation starting at ``start`` (before ``now``) with an unused id.

        For drift: pass it to ``add``. Parts that would happen after ``now`` are clipped,
        so one starting shortly before ``now`` is ongoing.
        """
        start = start.astimezone(UTC)
        with self._lock:
            index = next(self._drift_index)
        cid = conversation_id(start.date(), index, rng)
        return self._shaper.build(cid, _ms(start), rng)

    def add(self, conv: dict) -> None:
        """Insert an extra conversation; ``day()`` of its start day includes it."""
        d = date.fromisoformat(conv["conversationStart"][:10])
        with self._lock:
            self._overlay.setdefault(d, []).append(conv)
            self._extra[conv["conversationId"]] = conv


_gc_lock = threading.Lock()
_gc_pausers = 0


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off the conversations while a day is built.

    A day is up to a million small acyclic containers. Left alone, the collector would
    scan them while they are built and then again in every full collection for as long
    as the day stays cached (about a second per million objects, a stop-the-world pause
    in the emulator's server). So collection is paused during generation and, when the
    last generator finishes, the live objects are moved to the permanent generation
    (``gc.freeze``) before collection resumes. Reference counting still frees a day when
    the cache drops it, because conversations hold no reference cycles.

    Both steps act on the whole process (``gc.freeze`` moves *every* live object to the
    permanent generation), so this runs only when the org was made with ``pause_gc=True``.
    """
    global _gc_pausers
    with _gc_lock:
        if _gc_pausers == 0 and gc.isenabled():
            gc.disable()
            _gc_pausers = 1
        elif _gc_pausers:
            _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            if _gc_pausers:
                _gc_pausers -= 1
                if _gc_pausers == 0:
                    gc.freeze()
                    gc.enable()


def _media_settings(media: str, rng: random.Random) -> dict[str, Any]:
    percentage, seconds = rng.choice(_SERVICE_LEVELS[media])
    return {
        "alertingTimeoutSeconds": 30,
        "serviceLevel": {"percentage": percentage, "durationMs": seconds * 1000},
    }


def _members(queues: list[dict], roster: Roster, seed: int) -> dict[str, list[str]]:
    """Queue id -> user ids of its members: each active agent is in two to four queues."""
    rng = random.Random(seed * 7919 + 3)
    members: dict[str, list[str]] = {q["id"]: [] for q in queues}
    for agent in roster.agents:
        if roster.by_id[agent.user_id]["state"] != "active":
            continue
        for queue in rng.sample(queues, rng.randint(2, 4)):
            members[queue["id"]].append(agent.user_id)
    for queue in queues:
        queue["memberCount"] = queue["userMemberCount"] = len(members[queue["id"]])
        queue["joinedMemberCount"] = len(members[queue["id"]])
    return members


def _order(conv: dict) -> tuple[str, str]:
    return conv["conversationStart"], conv["conversationId"]


def _ms(dt: datetime) -> int:
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def media_types(conv: dict) -> set[str]:
    return {s["mediaType"] for p in conv["participants"] for s in p["sessions"]}


def truth(org: Org, start: datetime, end: datetime) -> dict:
    """What an exact export of ``[start, end)`` holds (decisions.md §2 counting)."""
    ids: list[str] = []
    counts: dict[str, int] = {}
    for conv in org.iter_started(start, end):
        ids.append(conv["conversationId"])
        for media in media_types(conv):
            counts[media] = counts.get(media, 0) + 1
    ids.sort()
    return {"start": fmt(start), "end": fmt(end), "ids": ids, "counts": counts, "total": len(ids)}


def query_shape(conv: dict) -> dict:
    """The details-query shape: participants without ``attributes``."""
    out = dict(conv)
    out["participants"] = [
        {k: v for k, v in p.items() if k != "attributes"} for p in conv["participants"]
    ]
    return out
