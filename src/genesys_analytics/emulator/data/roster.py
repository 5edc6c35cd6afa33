"""The org's people: users of every state, presence definitions, and each agent's shifts.

Shifts are a pure function of ``(seed, day)``: agent ``i`` of the 40 permanent agents
starts near ``i × 36 min`` after midnight (±10 min a day) and is off two days a week, never
two in a row (so no OFFLINE lasts over ~1.7 days) and chosen so that no two neighbouring
start slots are off on the same day. A shift is a run of
presence segments: AVAILABLE (log in), ON_QUEUE (4h10–4h40), a break (BREAK, MEAL, MEETING
or TRAINING), ON_QUEUE again (3–4 h), a short AVAILABLE/AWAY/BUSY, then OFFLINE until the
next shift. So at every instant some agent's first ON_QUEUE block started at most ~100 min
ago and has over 2 h 30 min left, longer than any agent session (2 h talk + hold + wrap-up):
``staff`` can always hand a session to an agent who is ON_QUEUE for all of it.

Six more agents left the company (three ``inactive``, three ``deleted``): they work until
their leave day inside the history, so old conversations name them, and their timelines
end at noon of that day (``leave_ms``). Two supervisors are
users without shifts.
"""

from __future__ import annotations

import random
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from genesys_analytics.emulator.data.pieces import DAY_MS, MIN, pick, uid
from genesys_analytics.timeutil import UTC, fmt

PERMANENT_AGENTS = 40
LEAVERS = (("inactive", 3), ("deleted", 3))
_SLOT_MS = DAY_MS // PERMANENT_AGENTS
MAX_BLOCK_MS = 280 * MIN  # the longest ON_QUEUE block
ROUTING_LAG_MS = (20, 400)  # routing leaves OFF_QUEUE this long after ON_QUEUE begins
_FIRST = ("Ava", "Ben", "Chloe", "Dev", "Elif", "Finn", "Grace", "Hugo", "Isla", "Jonas")
_LAST = ("Okafor", "Larsen", "Moreau", "Tanaka", "Novak")

# (name, systemPresence in definitions' CamelCase, analytics spelling, type)
_DEFINITIONS = (
    ("Available", "Available", "AVAILABLE", "System"),
    ("Away", "Away", "AWAY", "System"),
    ("Busy", "Busy", "BUSY", "System"),
    ("Offline", "Offline", "OFFLINE", "System"),
    ("Idle", "Idle", "IDLE", "System"),
    ("On Queue", "OnQueue", "ON_QUEUE", "System"),
    ("Meal", "Meal", "MEAL", "System"),
    ("Training", "Training", "TRAINING", "System"),
    ("Meeting", "Meeting", "MEETING", "System"),
    ("Break", "Break", "BREAK", "System"),
    ("Lunch", "Meal", "MEAL", "User"),
    ("Coaching", "Training", "TRAINING", "User"),
    ("Focus Time", "Busy", "BUSY", "User"),
)


def _day_ms(d: date) -> int:
    return (d.toordinal() - date(1970, 1, 1).toordinal()) * DAY_MS


@dataclass(frozen=True)
class Agent:
    index: int
    user_id: str
    name: str
    slot_ms: int  # where in the day this agent's shift starts
    slot: int  # position in the daily rota (for days off)
    leave_day: date | None


@dataclass(frozen=True)
class Shift:
    """One working day of one agent: contiguous presence segments ``(start, end, def id)``
    and the routing blocks ``(start, end)`` (inside the ON_QUEUE segments)."""

    agent: int
    segments: tuple[tuple[int, int, str], ...]
    blocks: tuple[tuple[int, int], ...]

    @property
    def start(self) -> int:
        return self.segments[0][0]

    @property
    def end(self) -> int:
        return self.segments[-1][1]


class Roster:
    """Users, presence definitions and shifts of one org. Thread-safe."""

    def __init__(self, seed: int, first_day: date, days: int, division: dict) -> None:
        self.seed = seed
        self.origin_day = first_day - timedelta(days=2)  # the world's records start here
        self.origin_ms = _day_ms(self.origin_day)
        rng = random.Random(seed * 31 + 17)
        created = fmt(datetime(2021, 3, 1, tzinfo=UTC))
        self.definitions: list[dict[str, Any]] = [
            {
                "id": uid(rng),
                "name": name,
                "type": kind,
                "languageLabels": {"en_US": name},
                "systemPresence": camel,
                "deactivated": False,
                "selfUri": "",
            }
            for name, camel, _, kind in _DEFINITIONS
        ]
        for definition in self.definitions:
            definition["selfUri"] = f"/api/v2/presence/definitions/{definition['id']}"
        self.system_of: dict[str, str] = {
            str(d["id"]): spec[2] for d, spec in zip(self.definitions, _DEFINITIONS, strict=True)
        }
        self._def: dict[str, str] = {str(d["name"]): str(d["id"]) for d in self.definitions}
        self.mappings: dict[str, list[str]] = {}
        for def_id, upper in self.system_of.items():
            self.mappings.setdefault(upper, []).append(def_id)
        self.agents: list[Agent] = []
        self.users: list[dict] = []
        self._division = division
        self._created = created
        self._rng = rng
        self._add_agents(first_day, days)
        for k in range(2):
            self._user(f"Sam Supervisor{k + 1}", "active", "Team Lead")
        self.by_id = {u["id"]: u for u in self.users}
        self._lock = threading.Lock()
        self._shifts: OrderedDict[date, dict[int, Shift]] = OrderedDict()
        self._blocks: OrderedDict[int, tuple[list[int], list[tuple[int, int, int]]]] = OrderedDict()

    def _user(self, name: str, state: str, title: str) -> dict:
        user_id = uid(self._rng)
        login = name.lower().replace(" ", ".")
        user = {
            "id": user_id,
            "name": name,
            "division": dict(self._division),
            "department": "Contact Centre",
            "email": f"{login}@example.com",
            "primaryContactInfo": [
                {"address": f"{login}@example.com", "mediaType": "EMAIL", "type": "PRIMARY"}
            ],
            "addresses": [],
            "state": state,
            "title": title,
            "username": f"{login}@example.com",
            "version": 1 + int(self._rng.random() * 9),
            "acdAutoAnswer": False,
            "selfUri": f"/api/v2/users/{user_id}",
        }
        self.users.append(user)
        return user

    def _add_agents(self, first_day: date, days: int) -> None:
        for i in range(PERMANENT_AGENTS):
            user = self._user(f"{_FIRST[i % 10]} {_LAST[i // 10]}", "active", "Agent")
            self.agents.append(Agent(i, user["id"], user["name"], i * _SLOT_MS, i, None))
        j = 0
        for state, count in LEAVERS:
            for _ in range(count):
                user = self._user(f"{_FIRST[j % 10]} {_LAST[4]}{j + 1}", state, "Agent")
                leave = first_day + timedelta(days=1 + int(self._rng.random() * max(1, days - 1)))
                slot_ms = (j * PERMANENT_AGENTS // 6) * _SLOT_MS + _SLOT_MS // 2
                self.agents.append(
                    Agent(len(self.agents), user["id"], user["name"], slot_ms, 3 * j + 1, leave)
                )
                j += 1

    # -- shifts --------------------------------------------------------------------
    def works(self, agent: Agent, d: date) -> bool:
        if d < self.origin_day + timedelta(days=1):
            return False
        if agent.leave_day is not None and d >= agent.leave_day:
            return False
        return (PERMANENT_AGENTS * d.toordinal() + agent.slot) % 7 not in (0, 3)

    def shifts(self, d: date) -> dict[int, Shift]:
        """Agent index -> the shift keyed to day ``d`` (it may start a little before it)."""
        with self._lock:
            hit = self._shifts.get(d)
            if hit is not None:
                return hit
        rng = random.Random((self.seed * 1_000_003 + d.toordinal()) * 7 + 5)
        base = _day_ms(d)
        out: dict[int, Shift] = {}
        for agent in self.agents:
            draws = [rng.random() for _ in range(9)]  # the same draws whether or not it works
            if self.works(agent, d):
                out[agent.index] = self._shift(agent, base, draws)
        with self._lock:
            self._shifts[d] = out
            while len(self._shifts) > 256:
                self._shifts.popitem(last=False)
        return out

    def _shift(self, agent: Agent, base: int, u: list[float]) -> Shift:
        def span(lo: int, hi: int, x: float) -> int:
            return lo + int(x * (hi - lo))

        t = base + agent.slot_ms + span(-10 * MIN, 10 * MIN, u[0])
        segs: list[tuple[int, int, str]] = []

        def add(length: int, name: str) -> None:
            nonlocal t
            segs.append((t, t + length, self._def[name]))
            t += length

        add(span(MIN, 6 * MIN, u[1]), "Available")
        add(span(250 * MIN, MAX_BLOCK_MS, u[2]), "On Queue")
        brk = u[3]
        if brk < 0.45:
            add(span(10 * MIN, 20 * MIN, u[4]), "Break")
        elif brk < 0.75:
            add(span(30 * MIN, 45 * MIN, u[4]), "Lunch" if brk < 0.6 else "Meal")
        elif brk < 0.9:
            add(span(30 * MIN, 60 * MIN, u[4]), "Meeting")
        else:
            add(span(30 * MIN, 45 * MIN, u[4]), "Coaching" if brk < 0.95 else "Training")
        add(span(180 * MIN, 240 * MIN, u[5]), "On Queue")
        after = ("Available", "Away", "Focus Time", "Busy")[int(u[6] * 4)]
        add(span(MIN, 10 * MIN, u[7]), after)
        lag = span(*ROUTING_LAG_MS, u[8])
        on_queue = self._def["On Queue"]
        blocks = tuple((s + lag, e) for s, e, k in segs if k == on_queue)
        return Shift(agent.index, tuple(segs), blocks)

    @staticmethod
    def leave_ms(agent: Agent) -> int | None:
        """When a leaver's timelines end: noon UTC of the leave day."""
        return None if agent.leave_day is None else _day_ms(agent.leave_day) + DAY_MS // 2

    def shift_of(self, agent: int, d: date) -> Shift | None:
        return self.shifts(d).get(agent)

    # -- who takes a session -------------------------------------------------------
    def _blocks_near(self, day_number: int) -> tuple[list[int], list[tuple[int, int, int]]]:
        with self._lock:
            hit = self._blocks.get(day_number)
            if hit is not None:
                return hit
        d = date(1970, 1, 1) + timedelta(days=day_number)
        blocks = sorted(
            (s, e, shift.agent)
            for k in (-1, 0, 1)
            for shift in self.shifts(d + timedelta(days=k)).values()
            for s, e in shift.blocks
        )
        value = ([b[0] for b in blocks], blocks)
        with self._lock:
            self._blocks[day_number] = value
            while len(self._blocks) > 64:
                self._blocks.popitem(last=False)
        return value

    def on_queue_for(self, a: int, b: int) -> list[Agent]:
        """Agents whose routing block holds all of ``[a, b]`` (epoch ms)."""
        starts, blocks = self._blocks_near(a // DAY_MS)
        lo, hi = bisect_left(starts, a - MAX_BLOCK_MS), bisect_right(starts, a)
        return [self.agents[agent] for s, e, agent in blocks[lo:hi] if e >= b]

    def staff(self, rng: random.Random, a: int, b: int) -> tuple[str, str]:
        """An agent ON_QUEUE for the whole session ``[a, b]``, drawn with one ``rng`` draw."""
        candidates = self.on_queue_for(a, b)
        if not candidates:  # cannot happen with the rota above; keep the stream in step
            candidates = self.agents
        agent = pick(rng, candidates)
        return agent.user_id, agent.name


def ms_of(d: date) -> int:
    """Epoch milliseconds of 00:00 UTC on ``d``."""
    return _day_ms(d)


def day_of(ms: int) -> date:
    """The UTC day of epoch milliseconds ``ms``."""
    return date(1970, 1, 1) + timedelta(days=ms // DAY_MS)
