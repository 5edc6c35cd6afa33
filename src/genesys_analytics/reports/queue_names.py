"""Ids → names through a list endpoint (queues, users), read once per run."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

log = logging.getLogger(__name__)

NO_QUEUE = "(no queue)"


class QueueNames:
    """Lazily lists every queue on first use and caches the names.

    An id that no longer resolves (a deleted queue) stays visible as the id itself.
    """

    def __init__(self, list_queues: Callable[[], Iterable[Mapping[str, Any]]]) -> None:
        self._list = list_queues
        self._names: dict[str, str] | None = None

    @classmethod
    def of(cls, client: Any) -> QueueNames:
        return cls(lambda: client.queues(page_size=500))

    @classmethod
    def of_users(cls, client: Any) -> QueueNames:
        """User ids → names, every state (a deleted agent keeps a name)."""
        return cls(lambda: client.users(state="any", page_size=500))

    @classmethod
    def fixed(cls, names: Mapping[str, str]) -> QueueNames:
        inst = cls(lambda: ())
        inst._names = dict(names)
        return inst

    @property
    def names(self) -> dict[str, str]:
        if self._names is None:
            self._names = {
                str(q["id"]): str(q.get("name") or q["id"]) for q in self._list() if q.get("id")
            }
            log.debug("resolved %d queue names", len(self._names))
        return self._names

    def name(self, queue_id: str | None) -> str:
        if queue_id is None:
            return NO_QUEUE
        return self.names.get(queue_id, queue_id)


__all__ = ["NO_QUEUE", "QueueNames"]
