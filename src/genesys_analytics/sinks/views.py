"""Report views in an exported DuckDB file, so the volume reports are one query away.

- ``volume_by_channel_day(day, media_type, conversations)``: distinct conversations per
  UTC day of ``conversation_start`` and media type (a conversation counts once under
  each of its media types, decisions.md §2).
- ``volume_by_queue_day(day, queue_id, conversations)``: the same per queue visited;
  ``queue_id`` is NULL for conversations that never reached a queue.

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


def create_views(con: Any) -> None:
    """Create (or replace) the report views; a no-op without a ``conversations`` table."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name = 'conversations' AND table_type = 'BASE TABLE'"
    ).fetchone()
    if not found or not found[0]:
        return
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")


__all__ = ["VIEWS", "create_views"]
