"""The org's reference data: divisions, queues with their service levels, wrap-up codes.

Each list is drawn from the org's one seeded ``rng`` in a fixed order (divisions, queues,
wrap-up codes, flows), so the same seed gives the same ids. Pure given the ``rng``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from genesys_analytics.emulator.data.pieces import uid
from genesys_analytics.emulator.data.roster import Roster

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
_FLOWS = ("Main IVR", "Support IVR", "After Hours")


def divisions(rng: random.Random) -> list[dict[str, Any]]:
    """The Home and Operations divisions."""
    out: list[dict[str, Any]] = [
        {
            "id": uid(rng),
            "name": name,
            "description": f"The {name} division",
            "homeDivision": name == "Home",
            "selfUri": "",
        }
        for name in ("Home", "Operations")
    ]
    for div in out:
        div["selfUri"] = f"/api/v2/authorization/divisions/{div['id']}"
    return out


@dataclass(frozen=True)
class Queues:
    """The queues as ``/routing/queues`` returns them, and what conversations need of them."""

    entities: list[dict]
    #: mediaType -> [(queueId, name)] of the queues that take it
    by_media: dict[str, list[tuple[str, str]]]
    #: (queueId, mediaType) -> (serviceLevel.percentage, serviceLevel.durationMs)
    service_levels: dict[tuple[str, str], tuple[float, int]]


def queues(rng: random.Random, home: dict[str, str], created: str) -> Queues:
    entities: list[dict] = []
    by_media: dict[str, list[tuple[str, str]]] = {}
    service_levels: dict[tuple[str, str], tuple[float, int]] = {}
    for name, media in _QUEUES:
        qid = uid(rng)
        settings = {m: _media_settings(m, rng) for m in media}
        for m, values in settings.items():
            level = values["serviceLevel"]
            service_levels[(qid, m)] = (level["percentage"], level["durationMs"])
        entities.append(
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
    return Queues(entities, by_media, service_levels)


def wrapups(
    rng: random.Random, home: dict[str, str], created: str, created_by: str
) -> list[dict[str, Any]]:
    """The wrap-up codes as ``/routing/wrapupcodes`` returns them."""
    out: list[dict[str, Any]] = [
        {
            "id": uid(rng),
            "name": name,
            "division": dict(home),
            "description": f"Wrap-up: {name.lower()}",
            "dateCreated": created,
            "dateModified": created,
            "createdBy": created_by,
            "selfUri": "",
        }
        for name in _WRAPUPS
    ]
    for code in out:
        code["selfUri"] = f"/api/v2/routing/wrapupcodes/{code['id']}"
    return out


def flows(rng: random.Random) -> tuple[tuple[str, str], ...]:
    """(flowId, name) of the IVR flows conversations pass through."""
    return tuple((uid(rng), n) for n in _FLOWS)


def _media_settings(media: str, rng: random.Random) -> dict[str, Any]:
    percentage, seconds = rng.choice(_SERVICE_LEVELS[media])
    return {
        "alertingTimeoutSeconds": 30,
        "serviceLevel": {"percentage": percentage, "durationMs": seconds * 1000},
    }


def members(queues: list[dict], roster: Roster, seed: int) -> dict[str, list[str]]:
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


__all__ = ["WRAPUP_TIMEOUT", "Queues", "divisions", "flows", "members", "queues", "wrapups"]
