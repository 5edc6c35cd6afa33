"""KPI names: ids → names of queues, users and wrap-up codes, and service-level targets.

Built from the API's lists (``/routing/queues``, ``/users``, ``/routing/wrapupcodes``);
pure apart from :meth:`Names.of`, which reads those lists through a client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from genesys_analytics.extraction.datasets import SYSTEM_WRAPUP_CODES

#: system wrap-up codes the wrap-up code list does not return (named where the export adds them)
SYSTEM_WRAPUPS = {str(code["id"]): str(code["name"]) for code in SYSTEM_WRAPUP_CODES}
#: queue ``mediaSettings`` keys → session media types
_MEDIA_OF_SETTING = {"call": "voice"}


@dataclass(frozen=True)
class Names:
    """Ids → names (queues, users, wrap-up codes) and service-level targets per queue/media."""

    queues: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)
    wrapups: Mapping[str, str] = field(default_factory=dict)
    targets: Mapping[tuple[str, str], int] = field(default_factory=dict)  # → durationMs

    @classmethod
    def from_lists(
        cls,
        queues: Iterable[Mapping[str, Any]] = (),
        users: Iterable[Mapping[str, Any]] = (),
        wrapups: Iterable[Mapping[str, Any]] = (),
    ) -> Names:
        """From ``/routing/queues``, ``/users`` and ``/routing/wrapupcodes`` entities."""
        queue_names: dict[str, str] = {}
        targets: dict[tuple[str, str], int] = {}
        for q in queues:
            qid = str(q.get("id") or "")
            if not qid:
                continue
            queue_names[qid] = str(q.get("name") or qid)
            for setting, values in (q.get("mediaSettings") or {}).items():
                duration = ((values or {}).get("serviceLevel") or {}).get("durationMs")
                if isinstance(duration, (int, float)) and not isinstance(duration, bool):
                    targets[(qid, _MEDIA_OF_SETTING.get(setting, setting))] = int(duration)
        return cls(queue_names, _by_id(users), {**SYSTEM_WRAPUPS, **_by_id(wrapups)}, targets)

    @classmethod
    def of(cls, client: Any, *, users: bool = True, wrapups: bool = True) -> Names:
        """Read the lists through ``client``: queues always (the service-level targets),
        users (every state: leavers keep names) and wrap-up codes when asked for."""
        return cls.from_lists(
            client.queues(page_size=500),
            client.users(state="any", page_size=500) if users else (),
            client.wrapup_codes(page_size=500) if wrapups else (),
        )

    def target(self, queue_id: str | None, media: str | None) -> int | None:
        if queue_id is None or media is None:
            return None
        return self.targets.get((queue_id, media))

    def label(self, dim: str, value: str | None) -> str | None:
        """The name shown for ``value`` of ``dim`` (an unknown id shows as itself)."""
        table = {"queue": self.queues, "user": self.users, "wrapUpCode": self.wrapups}.get(dim)
        if table is None or value is None:
            return value
        return table.get(value, value)


def _by_id(entities: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {str(e["id"]): str(e.get("name") or e["id"]) for e in entities if e.get("id")}


__all__ = ["SYSTEM_WRAPUPS", "Names"]
