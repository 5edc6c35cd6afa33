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

import itertools
import logging
import random
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from genesys_analytics.emulator.data import catalog
from genesys_analytics.emulator.data.catalog import WRAPUP_TIMEOUT
from genesys_analytics.emulator.data.encoded import DayIndex, IndexCache
from genesys_analytics.emulator.data.gc_pause import gc_paused
from genesys_analytics.emulator.data.late import revision_of, served
from genesys_analytics.emulator.data.parties import Refs
from genesys_analytics.emulator.data.pieces import (
    DRIFT_BASE,
    HOUR,
    MAX_LIFETIME_MS,
    ceil_ts,
    conversation_id,
    parse_conversation_id,
)
from genesys_analytics.emulator.data.roster import Roster
from genesys_analytics.emulator.data.shapes import Shaper
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


@dataclass(frozen=True)
class OrgSpec:
    seed: int = 7
    days: int = 14  # days of history, ending with the day of ``now``
    per_day: int = 500  # mean conversations a day; weekday and hour patterns vary it
    now: datetime = field(default=datetime(2024, 5, 15, 12, 0, tzinfo=UTC))
    late_data: float = 0.0  # share of conversations revised after first served (late.py)


def day_rng(seed: int, d: date, salt: int = 0) -> random.Random:
    """The random stream of one day: a function of ``(seed, day)`` only."""
    return random.Random((seed * 1_000_003 + d.toordinal()) * 7 + salt)


class Org:
    """One synthetic org. Thread-safe.

    ``day()`` returns a fresh list, but the conversation dicts in it are shared with the
    cache and with other callers: treat them as read-only (copy before changing one).

    ``index(d)`` is day ``d`` serialized once (see :mod:`.encoded`), what serving pages
    reads; those indexes are kept until they hold over ``index_bytes``, so a day is
    generated again only when a query needs its dicts (filters, other orders, by id).

    ``pause_gc=True`` generates days under :func:`.gc_pause.gc_paused`, which changes the
    garbage collector of the whole process: only for an emulator that is its own process.

    ``now`` (default ``spec.now``, never before it) is the org's present: ``spec.now``
    fixes the history (its first day and the roster), ``now`` what has happened so far.
    So ``advanced(later)`` is the same org some time later: the same conversations and
    records, new ones up to the later ``now``, the ongoing ones run on, revisions landed.
    """

    def __init__(
        self,
        spec: OrgSpec,
        *,
        cache_days: int = 4,
        pause_gc: bool = False,
        now: datetime | None = None,
        index_bytes: int = 2 << 30,
    ) -> None:
        self.spec = spec
        self._pause_gc = pause_gc
        self.now = (now or spec.now).astimezone(UTC)
        if self.now < spec.now:
            raise ValueError(f"an org's now ({self.now}) cannot be before its spec's {spec.now}")
        self.last_day = self.now.date()
        self.first_day = spec.now.astimezone(UTC).date() - timedelta(days=spec.days - 1)
        self.max_lifetime = timedelta(milliseconds=MAX_LIFETIME_MS)
        self._now_ms = _ms(self.now)
        self._cache_days = cache_days
        self._cache: OrderedDict[date, list[dict]] = OrderedDict()
        self._overlay: dict[date, list[dict]] = {}
        self._indexes = IndexCache(index_bytes)
        self._extra: dict[str, dict] = {}
        self._drift_index = itertools.count(DRIFT_BASE)
        self._lock = threading.Lock()
        rng = random.Random(spec.seed)
        created = fmt(datetime(2021, 3, 1, tzinfo=UTC))
        self.divisions = catalog.divisions(rng)
        home = {k: str(self.divisions[0][k]) for k in ("id", "name", "selfUri")}
        self.roster = Roster(spec.seed, self.first_day, spec.days, home)
        self.users = self.roster.users
        self.presence_definitions = self.roster.definitions
        queues = catalog.queues(rng, home, created)
        self.queues = queues.entities
        #: (queueId, mediaType) -> (serviceLevel.percentage, serviceLevel.durationMs)
        self.service_levels = queues.service_levels
        self.wrapups = catalog.wrapups(rng, home, created, self.users[-1]["id"])
        self.wrapup_codes = [w["id"] for w in self.wrapups]
        self.members = catalog.members(self.queues, self.roster, spec.seed)
        flows = catalog.flows(rng)
        self._shaper = Shaper(
            Refs(
                queues_by_media={m: tuple(v) for m, v in queues.by_media.items()},
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
        with gc_paused():
            return self._generate_day(d)

    def index(self, d: date) -> DayIndex:
        """Day ``d`` (as ``day(d)``) serialized once: keys to bisect and JSON bytes."""
        with self._lock:
            hit = self._indexes.get(d)
            added = len(self._overlay.get(d, ()))
        if hit is not None:
            return hit
        convs = self.day(d)
        if self._pause_gc:
            with gc_paused():
                built = DayIndex.build(convs)
        else:
            built = DayIndex.build(convs)
        with self._lock:
            if len(self._overlay.get(d, ())) == added:  # else drift added one meanwhile
                self._indexes.put(d, built)
        return built

    def indexes(self, start: datetime, end: datetime) -> Iterator[DayIndex]:
        """The index of every day from ``start``'s to ``end``'s (within the org's days)."""
        d = max(start.astimezone(UTC).date(), self.first_day)
        last = min(end.astimezone(UTC).date(), self.last_day)
        while d <= last:
            yield self.index(d)
            d += timedelta(days=1)

    def _generate_day(self, d: date) -> list[dict]:
        n = self.day_count(d)
        rng = day_rng(self.spec.seed, d)
        base = _ms(day_start(d))
        hours = rng.choices(range(24), cum_weights=_CUM_HOURS, k=n)
        randrange = rng.randrange
        starts = sorted(base + h * HOUR + randrange(HOUR) for h in hours)
        cut = self._now_ms
        build = self._shaper.build
        seed, share = self.spec.seed, self.spec.late_data
        out = []
        for i, start in enumerate(starts):
            if start >= cut:
                break
            conv = build(conversation_id(d, i, rng), start, rng)
            if share:
                conv = served(conv, revision_of(seed, conv["conversationId"], share), start, cut)
            out.append(conv)
        return out

    def advanced(self, now: datetime) -> Org:
        """This org at a later ``now`` (conversations added by drift stay)."""
        later = Org(
            self.spec,
            cache_days=self._cache_days,
            pause_gc=self._pause_gc,
            now=now,
            index_bytes=self._indexes.budget,
        )
        with self._lock:
            later._overlay = {d: list(convs) for d, convs in self._overlay.items()}
            later._extra = dict(self._extra)
            later._drift_index = self._drift_index
        return later

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
            self._indexes.drop(d)


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
    lo, hi = ceil_ts(start), ceil_ts(end)
    for index in org.indexes(start, end):
        for i in index.started(lo, hi):
            ids.append(index.keys[i][1])
            for media in index.media[i]:
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
