"""The user details dataset's storage: one row per presence or routing-status record.

Records are built by the dataset (``extraction/datasets.py``) from the API's
``userDetails`` items: ``recordKey`` (user, kind and start), ``userId``, ``kind``
(``presence`` or ``routing``), ``startTime``, ``endTime`` (absent while open) and the
status fields. They are stored unclipped, as the API gives them (decisions.md §7).
"""

from __future__ import annotations

from genesys_analytics.sinks.flat import FlatStorage
from genesys_analytics.sinks.sql import J, as_str, as_ts

_COMMON = f"""
    {as_str("j.recordKey")} AS rk, {as_str("j.userId")} AS uid, {as_str("j.kind")} AS kind,
    {as_ts("j.startTime")} AS st, {as_ts("j.endTime")} AS en,
    {as_str("j.systemPresence")} AS sp, {as_str("j.organizationPresenceId")} AS op,
    {as_str("j.routingStatus")} AS rs, raw
"""
_TAIL = "en IS NULL, TRY_CAST((epoch_ms(en) - epoch_ms(st)) AS BIGINT), st::DATE, raw"

USER_DETAILS_STORAGE = FlatStorage(
    dataset="user-details",
    key_field="recordKey",
    key_column="record_key",
    structure={
        key: J
        for key in (
            "recordKey",
            "userId",
            "kind",
            "startTime",
            "endTime",
            "systemPresence",
            "organizationPresenceId",
            "routingStatus",
        )
    },
    selects={
        "user_presence": f"SELECT rk, uid, st, en, sp, op, {_TAIL} "
        f"FROM (SELECT {_COMMON} FROM _batch) WHERE kind = 'presence'",
        "user_routing_status": f"SELECT rk, uid, st, en, rs, {_TAIL} "
        f"FROM (SELECT {_COMMON} FROM _batch) WHERE kind = 'routing'",
    },
    route=("kind", ("presence", "routing")),
)

__all__ = ["USER_DETAILS_STORAGE"]
