"""The parties of a synthetic conversation: customer, acd queue visit, agent and sessions.

Each function builds one participant (or one agent session) with its segments and its
metrics where the real service puts them (see :mod:`.shapes` for the KPI metrics).
Times are integers of milliseconds since the epoch. Pure given the ``rng`` handed in.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from genesys_analytics.emulator.data.pieces import HOUR, metric, pick, ri, seg

#: a contact abandoned within this many ms of entering the queue is also a short abandon
#: (the real threshold is an org setting, "abandon intervals"; ⚙ here)
SHORT_ABANDON_MS = 10_000

_TALK_MEAN = {
    "voice": 300_000,
    "chat": 480_000,
    "message": 900_000,
    "email": 360_000,
    "callback": 240_000,
}


@dataclass(frozen=True)
class Refs:
    """The org's reference data a conversation points at (ids, names)."""

    queues_by_media: dict[str, tuple[tuple[str, str], ...]]  # media -> ((id, name), ...)
    staff: Callable[[random.Random, int, int], tuple[str, str]]  # (userId, name) for [a, b]
    wrapups: tuple[str, ...]
    flows: tuple[tuple[str, str], ...]  # (flowId, flowName)
    division_id: str
    now_ms: int
    #: (queueId, mediaType) -> the queue's serviceLevel.durationMs for that media
    targets: Mapping[tuple[str, str], int] = field(default_factory=dict)


def acd(
    pid: str,
    sid: str,
    media: str,
    queue: tuple[str, str],
    t0: int,
    t1: int,
    ab: bool,
    flow_out: bool = False,
) -> dict:
    wait = t1 - t0
    metrics = [metric("nOffered", 1, t0), metric("tAcd", wait, t1), metric("tWait", wait, t1)]
    if ab:
        metrics.append(metric("tAbandon", wait, t1))
        if wait < SHORT_ABANDON_MS:
            metrics.append(metric("tShortAbandon", wait, t1))
    elif flow_out:
        metrics.append(metric("tFlowOut", wait, t1))
    queue_seg = seg(t0, t1, "interact", queue[0])
    queue_seg["disconnectType"] = "peer" if ab else "transfer"
    return {
        "participantId": pid,
        "participantName": queue[1],
        "purpose": "acd",
        "sessions": [
            {
                "sessionId": sid,
                "mediaType": media,
                "direction": "inbound",
                "usedRouting": "Standard",
                "segments": [queue_seg],
                "metrics": metrics,
            }
        ],
    }


def agent_session(
    refs: Refs,
    rng: random.Random,
    sid: str,
    media: str,
    direction: str,
    queue_id: str | None,
    t: int,
    talk: int,
    transfer: bool = False,
    queued: tuple[int, dict] | None = None,
) -> tuple[dict, int, int]:
    """Alert, interact (maybe hold), wrapup. Returns the session, talk end, end.

    ``queued`` is (queue entry, acd session) of the queue visit this session answers:
    ``tAnswered`` then runs from the queue entry, and an answer later than the queue's
    target adds ``nOverSla`` to the acd session.
    """
    alert = ri(rng, 2_000, 15_000)
    segs = [seg(t, t + alert, "alert", queue_id)]
    t += alert
    answered = t
    to_answer = alert if queued is None else t - queued[0]
    metrics = [
        metric("tAlert", alert, t),
        metric("tAnswered", to_answer, t),
        metric("nConnected", 1, t),
    ]
    target = refs.targets.get((queue_id or "", media))
    if queued is not None and target is not None and to_answer > target:
        queued[1]["metrics"].append(metric("nOverSla", 1, t))
    held = 0
    if media == "voice" and rng.random() < 0.2:
        first = talk // 3
        held = ri(rng, 15_000, 120_000)
        segs.append(seg(t, t + first, "interact", queue_id))
        segs.append(seg(t + first, t + first + held, "hold", queue_id))
        segs.append(seg(t + first + held, t + talk + held, "interact", queue_id))
        metrics.append(metric("tHeld", held, t + first + held))
    else:
        segs.append(seg(t, t + talk, "interact", queue_id))
    t += talk + held
    talk_end = t
    segs[-1]["disconnectType"] = "transfer" if transfer else pick(rng, ("client", "peer"))
    metrics.append(metric("tTalk", talk, t))
    if transfer:
        metrics.append(metric("nTransferred", 1, t))
    acw = ri(rng, 5_000, 120_000)
    wrap = seg(t, t + acw, "wrapup", queue_id)
    wrap["wrapUpCode"] = pick(rng, refs.wrapups)
    segs.append(wrap)
    t += acw
    metrics.append(metric("tAcw", acw, t))
    metrics.append(metric("tHandle", t - answered, t))
    session = {
        "sessionId": sid,
        "mediaType": media,
        "direction": direction,
        "segments": segs,
        "metrics": metrics,
    }
    return session, talk_end, t


def agent(pid: str, agent: tuple[str, str], sessions: list[dict]) -> dict:
    return {
        "participantId": pid,
        "participantName": agent[1],
        "purpose": "agent",
        "userId": agent[0],
        "sessions": sessions,
    }


def customer(
    rng: random.Random, pid: str, sid: str, media: str, direction: str, t0: int, t1: int
) -> tuple[dict, dict]:
    session: dict = {"sessionId": sid, "mediaType": media, "direction": direction}
    number = f"tel:+1555{ri(rng, 1_000_000, 9_999_999)}"
    if media in ("voice", "callback"):
        session["ani"] = number
        session["dnis"] = "tel:+18005550100"
    elif media == "email":
        session["addressFrom"] = f"customer{ri(rng, 1, 99_999)}@example.com"
        session["addressTo"] = "support@example.com"
    elif media == "message":
        session["addressFrom"] = number[4:]
        session["addressTo"] = "+18005550199"
    customer_seg = seg(t0, t1, "interact")
    customer_seg["disconnectType"] = "endpoint"
    session["segments"] = [customer_seg]
    part = {
        "participantId": pid,
        "participantName": "Customer",
        "purpose": "customer" if direction == "inbound" else "external",
        "sessions": [session],
        "attributes": {
            "customerTier": pick(rng, ("standard", "standard", "gold", "platinum")),
            "language": pick(rng, ("en-us", "en-us", "es", "fr")),
            "intent": pick(rng, ("billing", "support", "sales", "cancel")),
        },
    }
    return part, session


def talk(rng: random.Random, media: str) -> int:
    mean = _TALK_MEAN[media]
    return min(int(rng.expovariate(1 / mean)) + 20_000, 2 * HOUR)


__all__ = [
    "SHORT_ABANDON_MS",
    "Refs",
    "acd",
    "agent",
    "agent_session",
    "customer",
    "talk",
]
