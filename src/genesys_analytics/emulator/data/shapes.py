"""Build one synthetic conversation in the real job shape (``AnalyticsConversation``).

Every key used here exists in the SDK models' ``attribute_map`` and every enum value is
one the models allow (``tests/emulator/test_data.py`` walks the output against them).
Times are integers of milliseconds since the epoch until they are formatted with ``ts``.

A conversation is laid out as the real service lays it out: one participant per party
(customer, ivr flow, acd queue, agent), each with sessions (one per media), each session
with ``segments`` (what happened when) and ``metrics`` (``{name, value, emitDate}``,
emitted at the moment the measured thing finished). A conversation still running at
``now`` is clipped by ``clip_at``: it loses ``conversationEnd``, every segment and
metric after ``now``, and the ``segmentEnd`` of the segments still open.

The KPI metrics (decisions.md §8, agents-and-dimensions-api.md §5) sit where the real
service puts them. The acd session (one queue visit) carries ``nOffered`` at queue entry
and, when the contact leaves the queue, ``tAcd``, ``tWait`` and either ``tAbandon`` (the
customer hung up; also ``tShortAbandon`` within ``SHORT_ABANDON_MS``) or ``tFlowOut``
(the caller left the voice queue for a callback); ``nOverSla`` when an agent answered
later than the queue's service-level target for the media. The answering agent session
carries ``tAnswered`` (queue entry to answer, alerting included), ``tTalk``, ``tHeld``,
``tAcw``, ``tHandle`` (= talk + hold + wrap-up) and ``nTransferred`` on a transfer.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from genesys_analytics.emulator.data.pieces import (
    HOUR,
    MAX_LIFETIME_MS,
    MIN,
    clip_at,
    make_ids,
    metric,
    pick,
    ri,
    seg,
    ts,
)

# media mix of conversations (cumulative thresholds on one uniform draw)
_MEDIA = (
    (0.50, "voice"),
    (0.53, "voice+callback"),
    (0.58, "voice-out"),
    (0.62, "callback"),
    (0.77, "chat"),
    (0.89, "email"),
    (1.00, "message"),
)


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


class Shaper:
    """Makes conversations for one org; pure given the ``rng`` it is handed."""

    def __init__(self, refs: Refs) -> None:
        self.refs = refs

    # -- parties -------------------------------------------------------------------
    def _acd(
        self,
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

    def _agent_session(
        self,
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
        target = self.refs.targets.get((queue_id or "", media))
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
        wrap["wrapUpCode"] = pick(rng, self.refs.wrapups)
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

    def _agent(self, pid: str, agent: tuple[str, str], sessions: list[dict]) -> dict:
        return {
            "participantId": pid,
            "participantName": agent[1],
            "purpose": "agent",
            "userId": agent[0],
            "sessions": sessions,
        }

    # -- conversations -------------------------------------------------------------
    def build(self, conversation_id: str, start: int, rng: random.Random) -> dict:
        """One conversation starting at ``start`` (epoch ms); clipped at ``now``."""
        u = rng.random()
        kind = next(name for limit, name in _MEDIA if u < limit)
        ids = make_ids(rng)
        if kind == "voice-out":
            parts, end = self._voice_out(rng, ids, start)
            direction = "outbound"
        elif kind.startswith("voice"):
            parts, end = self._voice_in(rng, ids, start, kind == "voice+callback")
            direction = "inbound"
        else:
            parts, end = self._digital(rng, ids, start, kind)
            direction = "inbound"
        conv: dict = {
            "conversationId": conversation_id,
            "conversationStart": ts(start),
            "conversationEnd": ts(end),
            "originatingDirection": direction,
            "divisionIds": [self.refs.division_id],
            "conversationInitiator": "agent" if direction == "outbound" else "customer",
            "customerParticipation": True,
        }
        if kind.startswith("voice"):
            conv["mediaStatsMinConversationMos"] = round(rng.uniform(3.2, 4.6), 3)
        if rng.random() < 0.05:
            conv["externalTag"] = f"crm-{ri(rng, 10_000, 99_999)}"
        conv["participants"] = parts
        if end > self.refs.now_ms:
            clip_at(conv, ts(self.refs.now_ms))
        return conv

    def _customer(
        self, rng: random.Random, pid: str, sid: str, media: str, direction: str, t0: int, t1: int
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

    def _voice_in(
        self, rng: random.Random, ids: list[str], t: int, callback: bool
    ) -> tuple[list[dict], int]:
        refs = self.refs
        start = t
        flow = pick(rng, refs.flows)
        ivr = ri(rng, 15_000, 90_000)
        ivr_seg = seg(t, t + ivr, "ivr")
        ivr_seg["disconnectType"] = "transfer"
        ivr_part = {
            "participantId": ids[2],
            "participantName": flow[1],
            "purpose": "ivr",
            "sessions": [
                {
                    "sessionId": ids[3],
                    "mediaType": "voice",
                    "direction": "inbound",
                    "flow": {
                        "flowId": flow[0],
                        "flowName": flow[1],
                        "flowType": "INBOUNDCALL",
                        "flowVersion": "3.0",
                        "entryType": "dnis",
                    },
                    "segments": [ivr_seg],
                    "metrics": [metric("tIvr", ivr, t + ivr)],
                }
            ],
        }
        t += ivr
        queue = pick(rng, refs.queues_by_media["voice"])
        wait = min(int(rng.expovariate(1 / 60_000)) + 1_000, 20 * MIN)
        abandoned = not callback and rng.random() < 0.08
        voice_acd = self._acd(ids[4], ids[5], "voice", queue, t, t + wait, abandoned, callback)
        parts = [ivr_part, voice_acd]
        queued = (t, voice_acd["sessions"][0])
        t += wait
        if abandoned:
            end = hangup = t
        elif callback:  # the caller leaves the queue asking to be called back
            voice_end = t
            t_cb = t + ri(rng, MIN, 30 * MIN)
            cb = self._acd(ids[4], ids[6], "callback", queue, t, t_cb, False)
            parts[1]["sessions"].append(cb["sessions"][0])
            agent_session, _, end = self._agent_session(
                rng,
                ids[7],
                "callback",
                "outbound",
                queue[0],
                t_cb,
                self._talk(rng, "callback"),
                queued=(t, cb["sessions"][0]),
            )
            agent_session["callbackNumbers"] = [f"+1555{ri(rng, 1_000_000, 9_999_999)}"]
            agent = refs.staff(rng, t_cb, end)
            parts.append(self._agent(ids[8], agent, [agent_session]))
            customer, _ = self._customer(rng, ids[0], ids[1], "voice", "inbound", start, voice_end)
            return [customer, *parts], end
        else:
            transfer = rng.random() < 0.05
            agent_session, talk_end, end = self._agent_session(
                rng,
                ids[7],
                "voice",
                "inbound",
                queue[0],
                t,
                self._talk(rng, "voice"),
                transfer,
                queued,
            )
            parts.append(self._agent(ids[8], refs.staff(rng, t, end), [agent_session]))
            if transfer:  # a blind transfer to a second queue and agent
                q2 = pick(rng, refs.queues_by_media["voice"])
                t2 = talk_end + ri(rng, 5_000, 120_000)
                acd2 = self._acd(ids[9], ids[10], "voice", q2, talk_end, t2, False)
                parts.append(acd2)
                s2, talk_end, end2 = self._agent_session(
                    rng,
                    ids[11],
                    "voice",
                    "inbound",
                    q2[0],
                    t2,
                    self._talk(rng, "voice"),
                    queued=(talk_end, acd2["sessions"][0]),
                )
                parts.append(self._agent(ids[12], refs.staff(rng, t2, end2), [s2]))
                end = max(end, end2)
            hangup = talk_end  # the caller leaves when the (last) talk ends
        customer, _ = self._customer(rng, ids[0], ids[1], "voice", "inbound", start, hangup)
        return [customer, *parts], end

    def _voice_out(self, rng: random.Random, ids: list[str], t: int) -> tuple[list[dict], int]:
        """An agent dials out: the agent's alert becomes dialing; the customer is external."""
        talk = self._talk(rng, "voice")
        session, talk_end, end = self._agent_session(
            rng, ids[3], "voice", "outbound", None, t, talk
        )
        session["segments"][0]["segmentType"] = "dialing"
        dial = session["metrics"][0]["value"]
        session["metrics"][0]["name"] = "tDialing"
        del session["metrics"][1]  # no tAnswered on an outbound call
        session["dnis"] = f"tel:+1555{ri(rng, 1_000_000, 9_999_999)}"
        customer, csess = self._customer(rng, ids[0], ids[1], "voice", "outbound", t + dial, end)
        csess["segments"][0]["segmentEnd"] = ts(talk_end)
        csess["ani"], csess["dnis"] = "tel:+18005550100", session["dnis"]
        agent = self._agent(ids[2], self.refs.staff(rng, t, end), [session])
        return [agent, customer], end

    def _digital(
        self, rng: random.Random, ids: list[str], t: int, media: str
    ) -> tuple[list[dict], int]:
        refs = self.refs
        start = t
        queue = pick(rng, refs.queues_by_media[media])
        if media == "email":
            wait = ri(rng, 5 * MIN, 4 * HOUR)
        else:
            wait = min(int(rng.expovariate(1 / 45_000)) + 1_000, 15 * MIN)
        abandoned = media in ("chat", "message") and rng.random() < 0.06
        parts = [self._acd(ids[2], ids[3], media, queue, t, t + wait, abandoned)]
        queued = (t, parts[0]["sessions"][0])
        t += wait
        end = last_talk = t
        if not abandoned:
            session, last_talk, end = self._agent_session(
                rng,
                ids[4],
                media,
                "inbound",
                queue[0],
                t,
                self._talk(rng, media),
                queued=queued,
            )
            parts.append(self._agent(ids[5], refs.staff(rng, t, end), [session]))
            if media == "email" and rng.random() < 0.25:  # a thread: the customer replies later
                # at most 50 min wait + 2 h talk + 2 min wrap-up after this: within the lifetime
                t = min(end + ri(rng, 8 * HOUR, 60 * HOUR), start + MAX_LIFETIME_MS - 4 * HOUR)
                w2 = ri(rng, 5 * MIN, 50 * MIN)
                acd2 = self._acd(ids[6], ids[7], media, queue, t, t + w2, False)
                parts.append(acd2)
                s2, last_talk, end = self._agent_session(
                    rng,
                    ids[8],
                    media,
                    "inbound",
                    queue[0],
                    t + w2,
                    self._talk(rng, media),
                    queued=(t, acd2["sessions"][0]),
                )
                parts.append(self._agent(ids[9], refs.staff(rng, t + w2, end), [s2]))
        customer, _ = self._customer(rng, ids[0], ids[1], media, "inbound", start, last_talk)
        return [customer, *parts], end

    @staticmethod
    def _talk(rng: random.Random, media: str) -> int:
        mean = _TALK_MEAN[media]
        return min(int(rng.expovariate(1 / mean)) + 20_000, 2 * HOUR)
