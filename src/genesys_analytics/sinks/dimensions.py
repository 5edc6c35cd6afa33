"""The dimension lists' storages: snapshots that turn ids into names.

Each export that asks for a list reads it whole and replaces the previous snapshot in
one transaction (decisions.md §7); ``fetched_at`` is when that transaction began. ``raw``
keeps each entity as the API gave it. Presence definitions store the analytics spelling
of their system presence (``OnQueue`` → ``ON_QUEUE``).
"""

from __future__ import annotations

from genesys_analytics.sinks.flat import FlatStorage
from genesys_analytics.sinks.schema import QUEUE_MEDIA
from genesys_analytics.sinks.sql import J, as_bool, as_float, as_int, as_str

_TAIL = "current_timestamp, raw"
_DIVISION = {"id": J}


def _snapshot(
    dataset: str, key_column: str, structure: dict[str, object], select: str, table: str
) -> FlatStorage:
    return FlatStorage(
        dataset=dataset,
        key_field="id",
        key_column=key_column,
        structure={"id": J, **structure},
        selects={table: f"SELECT {select}, {_TAIL} FROM _batch"},
        snapshot=True,
    )


USERS_STORAGE = _snapshot(
    "users",
    "user_id",
    {
        "name": J,
        "email": J,
        "username": J,
        "state": J,
        "division": _DIVISION,
        "department": J,
        "title": J,
        "manager": {"id": J},
    },
    ", ".join(
        as_str(f"j.{k}")
        for k in ("id", "name", "email", "username", "state", "division.id", "department")
    )
    + f", {as_str('j.title')}, {as_str('j.manager.id')}",
    "users",
)

_SERVICE_LEVELS = ", ".join(
    f"{as_float(f'j.mediaSettings.{m}.serviceLevel.percentage')}, "
    f"{as_int(f'j.mediaSettings.{m}.serviceLevel.durationMs')}"
    for m in QUEUE_MEDIA
)
QUEUES_STORAGE = _snapshot(
    "queues",
    "queue_id",
    {
        "name": J,
        "division": _DIVISION,
        "description": J,
        "memberCount": J,
        "mediaSettings": {
            m: {"serviceLevel": {"percentage": J, "durationMs": J}} for m in QUEUE_MEDIA
        },
        "acwSettings": {"wrapupPrompt": J, "timeoutMs": J},
    },
    f"{as_str('j.id')}, {as_str('j.name')}, {as_str('j.division.id')}, "
    f"{as_str('j.description')}, {as_int('j.memberCount')}, {_SERVICE_LEVELS}, "
    f"{as_str('j.acwSettings.wrapupPrompt')}, {as_int('j.acwSettings.timeoutMs')}",
    "queues",
)

QUEUE_MEMBERS_STORAGE = FlatStorage(
    dataset="queue-members",
    key_field="memberKey",
    key_column="member_key",
    structure={
        "memberKey": J,
        "queueId": J,
        "id": J,
        "name": J,
        "joined": J,
        "memberBy": J,
        "ringNumber": J,
    },
    selects={
        "queue_members": f"SELECT {as_str('j.memberKey')}, {as_str('j.queueId')}, "
        f"{as_str('j.id')}, {as_str('j.name')}, {as_bool('j.joined')}, "
        f"{as_str('j.memberBy')}, {as_int('j.ringNumber')}, {_TAIL} FROM _batch"
    },
    snapshot=True,
)

WRAPUP_CODES_STORAGE = _snapshot(
    "wrapup-codes",
    "wrapup_code_id",
    {"name": J, "division": _DIVISION, "description": J, "system": J},
    f"{as_str('j.id')}, {as_str('j.name')}, {as_str('j.division.id')}, "
    f"{as_str('j.description')}, coalesce({as_bool('j.system')}, false)",
    "wrapup_codes",
)

DIVISIONS_STORAGE = _snapshot(
    "divisions",
    "division_id",
    {"name": J, "description": J, "homeDivision": J},
    f"{as_str('j.id')}, {as_str('j.name')}, {as_str('j.description')}, {as_bool('j.homeDivision')}",
    "divisions",
)

_ANALYTICS_SPELLING = "upper(regexp_replace({}, '([a-z])([A-Z])', '\\1_\\2', 'g'))"
PRESENCE_DEFINITIONS_STORAGE = _snapshot(
    "presence-definitions",
    "presence_definition_id",
    {
        "name": J,
        "languageLabels": {"en_US": J},
        "systemPresence": J,
        "type": J,
        "deactivated": J,
        "divisionId": J,
    },
    f"{as_str('j.id')}, coalesce({as_str('j.languageLabels.en_US')}, {as_str('j.name')}), "
    + _ANALYTICS_SPELLING.format(as_str("j.systemPresence"))
    + f", {as_str('j.type')}, {as_bool('j.deactivated')}, {as_str('j.divisionId')}",
    "presence_definitions",
)

__all__ = [
    "DIVISIONS_STORAGE",
    "PRESENCE_DEFINITIONS_STORAGE",
    "QUEUES_STORAGE",
    "QUEUE_MEMBERS_STORAGE",
    "USERS_STORAGE",
    "WRAPUP_CODES_STORAGE",
]
