"""Report views in an exported DuckDB file, so the volume reports are one query away.

- ``volume_by_channel_day(day, media_type, conversations)``: distinct conversations per
  UTC day of ``conversation_start`` and media type (a conversation counts once under
  each of its media types, decisions.md §2).
- ``volume_by_queue_day(day, queue_id, conversations)``: the same per queue visited;
  ``queue_id`` is NULL for conversations that never reached a queue.

With the dimension snapshots in the same file, names join in:

- ``segments_named``: every segment with ``queue_name`` and ``wrap_up_name`` (system
  wrap-up codes have rows of their own in ``wrapup_codes``);
- ``volume_by_queue_name_day``: ``volume_by_queue_day`` with ``queue_name``;
- ``user_presence_named`` and ``user_routing_status_named``: status records with
  ``user_name`` (users of every state, so old records still resolve).

A view is created once the tables it reads exist; ids with no name (a deleted queue)
keep a NULL name, never drop the row.

Example::

    SELECT * FROM volume_by_channel_day ORDER BY day, media_type;
"""

from __future__ import annotations

from typing import Any

VIEWS: dict[str, str] = {
    "volume_by_channel_day": """
        SELECT conversation_date AS day, media_type, count(DISTINCT conversation_id)
               AS conversations
        FROM (SELECT conversation_id, conversation_date, unnest(media_types) AS media_type
              FROM conversations)
        GROUP BY ALL
    """,
    "volume_by_queue_day": """
        SELECT conversation_date AS day, queue_id, count(DISTINCT conversation_id)
               AS conversations
        FROM (SELECT conversation_id, conversation_date,
                     unnest(CASE WHEN coalesce(len(queue_ids), 0) = 0
                                 THEN [NULL::VARCHAR] ELSE queue_ids END) AS queue_id
              FROM conversations)
        GROUP BY ALL
    """,
}


#: Views that need more tables than ``conversations``: name → (tables, SQL).
NAMED_VIEWS: dict[str, tuple[tuple[str, ...], str]] = {
    "segments_named": (
        ("segments", "queues", "wrapup_codes"),
        """
        SELECT s.*, q.name AS queue_name, w.name AS wrap_up_name
        FROM segments s
        LEFT JOIN queues q ON q.queue_id = s.queue_id
        LEFT JOIN wrapup_codes w ON w.wrapup_code_id = s.wrap_up_code
        """,
    ),
    "volume_by_queue_name_day": (
        ("conversations", "queues"),
        """
        SELECT v.day, v.queue_id, q.name AS queue_name, v.conversations
        FROM volume_by_queue_day v LEFT JOIN queues q ON q.queue_id = v.queue_id
        """,
    ),
    "user_presence_named": (
        ("user_presence", "users"),
        """
        SELECT p.*, u.name AS user_name
        FROM user_presence p LEFT JOIN users u ON u.user_id = p.user_id
        """,
    ),
    "user_routing_status_named": (
        ("user_routing_status", "users"),
        """
        SELECT r.*, u.name AS user_name
        FROM user_routing_status r LEFT JOIN users u ON u.user_id = r.user_id
        """,
    ),
}


def create_views(con: Any) -> None:
    """Create (or replace) the report views; a no-op without a ``conversations`` table."""
    tables = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
    }
    if "conversations" in tables:
        for name, sql in VIEWS.items():
            con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
    for name, (needs, sql) in NAMED_VIEWS.items():
        if set(needs) <= tables:
            con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")


__all__ = ["NAMED_VIEWS", "VIEWS", "create_views"]
