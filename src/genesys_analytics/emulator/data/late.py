"""Late data: conversations that Genesys revises after it first served them.

The real service reprocesses conversations for up to about three days (decisions.md §9).
Under the ``late_data`` setting a share of the conversations is *revised*: until its
revision time the service shows a stale version, from then on the final one. The final
version is the one the org generates; the stale one differs in one place:

- ``wrapup``: the last agent wrap-up segment has no ``wrapUpCode`` yet (a code added late);
- ``metric``: one duration metric (``tTalk``, else ``tHandle``, ``tAcd``...) is off by a
  few seconds (a metric corrected late).

Which conversations, which change and when are functions of ``(seed, conversationId)``
only, so every read at the same ``now`` agrees and advancing ``now`` only ever moves a
conversation from stale to final. A revision lands between 1 h and 60 h after the
conversation started, and never before it ended: a conversation still running at ``now``
is shown clipped (ongoing) with its stale part, and both changes show once it ends.
Conversations that closing alone changes (ongoing at one ``now``, ended at a later one) need
no setting: advancing ``now`` does that for every conversation.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

from genesys_analytics.emulator.data.pieces import HOUR

REVISED_AFTER_MS = (HOUR, 60 * HOUR)  # revision time after conversationStart: [lo, hi)
_METRICS = ("tTalk", "tHandle", "tAcw", "tAcd", "tWait", "tAlert", "tIvr")


@dataclass(frozen=True)
class Revision:
    kind: str  # "wrapup" or "metric"
    after_ms: int  # after conversationStart
    delta_ms: int  # how far the stale metric is off (metric only)


def revision_of(seed: int, conversation_id: str, share: float) -> Revision | None:
    """The revision of one conversation, or None (a share ``share`` of them has one)."""
    if share <= 0:
        return None
    rng = random.Random(zlib.crc32(f"late:{seed}:{conversation_id}".encode()))
    if rng.random() >= share:
        return None
    lo, hi = REVISED_AFTER_MS
    kind = "wrapup" if rng.random() < 0.5 else "metric"
    return Revision(kind, lo + int(rng.random() * (hi - lo)), 1000 * (1 + int(rng.random() * 30)))


def served(conv: dict, revision: Revision | None, start_ms: int, now_ms: int) -> dict:
    """``conv`` (final, maybe clipped at ``now``) as the service shows it at ``now``.

    Returns ``conv`` itself when it is final by ``now``, else a stale copy; ``conv`` is
    never changed.
    """
    if revision is None:
        return conv
    if "conversationEnd" in conv and now_ms >= start_ms + revision.after_ms:
        return conv
    if revision.kind == "wrapup":
        return _without_wrapup(conv) or _off_metric(conv, revision.delta_ms) or conv
    return _off_metric(conv, revision.delta_ms) or _without_wrapup(conv) or conv


def _copy_session(conv: dict, p: int, s: int) -> tuple[dict, dict]:
    """A copy of ``conv`` whose participant ``p`` and its session ``s`` are copies too."""
    out = dict(conv)
    parts = list(conv["participants"])
    part = dict(parts[p])
    sessions = list(part["sessions"])
    session = dict(sessions[s])
    sessions[s] = session
    part["sessions"] = sessions
    parts[p] = part
    out["participants"] = parts
    return out, session


def _without_wrapup(conv: dict) -> dict | None:
    for p in range(len(conv["participants"]) - 1, -1, -1):
        part = conv["participants"][p]
        if part["purpose"] != "agent":
            continue
        for s in range(len(part["sessions"]) - 1, -1, -1):
            segs = part["sessions"][s]["segments"]
            for k in range(len(segs) - 1, -1, -1):
                if "wrapUpCode" in segs[k]:
                    out, session = _copy_session(conv, p, s)
                    segments = list(segs)
                    segments[k] = {n: v for n, v in segs[k].items() if n != "wrapUpCode"}
                    session["segments"] = segments
                    return out
    return None


def _off_metric(conv: dict, delta_ms: int) -> dict | None:
    for name in _METRICS:
        for p, part in enumerate(conv["participants"]):
            for s, sess in enumerate(part["sessions"]):
                metrics = sess.get("metrics", ())
                for k, m in enumerate(metrics):
                    if m["name"] == name:
                        out, session = _copy_session(conv, p, s)
                        changed = list(metrics)
                        changed[k] = {**m, "value": m["value"] + delta_ms}
                        session["metrics"] = changed
                        return out
    return None
