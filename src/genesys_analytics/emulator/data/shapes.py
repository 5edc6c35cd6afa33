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

from genesys_analytics.emulator.data import parties
from genesys_analytics.emulator.data.parties import SHORT_ABANDON_MS, Refs
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


class Shaper:
    """Makes conversations for one org; pure given the ``rng`` it is handed."""

    def __init__(self, refs: Refs) -> None:
        self.refs = refs

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
        voice_acd = parties.acd(ids[4], ids[5], "voice", queue, t, t + wait, abandoned, callback)
        parts = [ivr_part, voice_acd]
        queued = (t, voice_acd["sessions"][0])
        t += wait
        if abandoned:
            end = hangup = t
        elif callback:  # the caller leaves the queue asking to be called back
            voice_end = t
            t_cb = t + ri(rng, MIN, 30 * MIN)
            cb = parties.acd(ids[4], ids[6], "callback", queue, t, t_cb, False)
            parts[1]["sessions"].append(cb["sessions"][0])
            agent_session, _, end = parties.agent_session(
                refs,
                rng,
                ids[7],
                "callback",
                "outbound",
                queue[0],
                t_cb,
                parties.talk(rng, "callback"),
                queued=(t, cb["sessions"][0]),
            )
            agent_session["callbackNumbers"] = [f"+1555{ri(rng, 1_000_000, 9_999_999)}"]
            agent = refs.staff(rng, t_cb, end)
            parts.append(parties.agent(ids[8], agent, [agent_session]))
            customer, _ = parties.customer(
                rng, ids[0], ids[1], "voice", "inbound", start, voice_end
            )
            return [customer, *parts], end
        else:
            transfer = rng.random() < 0.05
            agent_session, talk_end, end = parties.agent_session(
                refs,
                rng,
                ids[7],
                "voice",
                "inbound",
                queue[0],
                t,
                parties.talk(rng, "voice"),
                transfer,
                queued,
            )
            parts.append(parties.agent(ids[8], refs.staff(rng, t, end), [agent_session]))
            if transfer:  # a blind transfer to a second queue and agent
                q2 = pick(rng, refs.queues_by_media["voice"])
                t2 = talk_end + ri(rng, 5_000, 120_000)
                acd2 = parties.acd(ids[9], ids[10], "voice", q2, talk_end, t2, False)
                parts.append(acd2)
                s2, talk_end, end2 = parties.agent_session(
                    refs,
                    rng,
                    ids[11],
                    "voice",
                    "inbound",
                    q2[0],
                    t2,
                    parties.talk(rng, "voice"),
                    queued=(talk_end, acd2["sessions"][0]),
                )
                parts.append(parties.agent(ids[12], refs.staff(rng, t2, end2), [s2]))
                end = max(end, end2)
            hangup = talk_end  # the caller leaves when the (last) talk ends
        customer, _ = parties.customer(rng, ids[0], ids[1], "voice", "inbound", start, hangup)
        return [customer, *parts], end

    def _voice_out(self, rng: random.Random, ids: list[str], t: int) -> tuple[list[dict], int]:
        """An agent dials out: the agent's alert becomes dialing; the customer is external."""
        talk = parties.talk(rng, "voice")
        session, talk_end, end = parties.agent_session(
            self.refs, rng, ids[3], "voice", "outbound", None, t, talk
        )
        session["segments"][0]["segmentType"] = "dialing"
        dial = session["metrics"][0]["value"]
        session["metrics"][0]["name"] = "tDialing"
        del session["metrics"][1]  # no tAnswered on an outbound call
        session["dnis"] = f"tel:+1555{ri(rng, 1_000_000, 9_999_999)}"
        customer, csess = parties.customer(rng, ids[0], ids[1], "voice", "outbound", t + dial, end)
        csess["segments"][0]["segmentEnd"] = ts(talk_end)
        csess["ani"], csess["dnis"] = "tel:+18005550100", session["dnis"]
        agent = parties.agent(ids[2], self.refs.staff(rng, t, end), [session])
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
        parts = [parties.acd(ids[2], ids[3], media, queue, t, t + wait, abandoned)]
        queued = (t, parts[0]["sessions"][0])
        t += wait
        end = last_talk = t
        if not abandoned:
            session, last_talk, end = parties.agent_session(
                refs,
                rng,
                ids[4],
                media,
                "inbound",
                queue[0],
                t,
                parties.talk(rng, media),
                queued=queued,
            )
            parts.append(parties.agent(ids[5], refs.staff(rng, t, end), [session]))
            if media == "email" and rng.random() < 0.25:  # a thread: the customer replies later
                # at most 50 min wait + 2 h talk + 2 min wrap-up after this: within the lifetime
                t = min(end + ri(rng, 8 * HOUR, 60 * HOUR), start + MAX_LIFETIME_MS - 4 * HOUR)
                w2 = ri(rng, 5 * MIN, 50 * MIN)
                acd2 = parties.acd(ids[6], ids[7], media, queue, t, t + w2, False)
                parts.append(acd2)
                s2, last_talk, end = parties.agent_session(
                    self.refs,
                    rng,
                    ids[8],
                    media,
                    "inbound",
                    queue[0],
                    t + w2,
                    parties.talk(rng, media),
                    queued=(t, acd2["sessions"][0]),
                )
                parts.append(parties.agent(ids[9], refs.staff(rng, t + w2, end), [s2]))
        customer, _ = parties.customer(rng, ids[0], ids[1], media, "inbound", start, last_talk)
        return [customer, *parts], end


__all__ = ["SHORT_ABANDON_MS", "Refs", "Shaper"]
