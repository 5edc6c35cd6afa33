"""Details and aggregates side by side, with notes that explain every difference."""

from __future__ import annotations

from collections.abc import Sequence

from genesys_analytics.reports.details import Facts
from genesys_analytics.reports.model import VolumeReport, VolumeRow, sort_key

COMPARE_COLUMNS = ("conversations", "offered", "connected", "difference")


def compare(
    details: VolumeReport, aggregates: VolumeReport, facts: Sequence[Facts]
) -> VolumeReport:
    """Both sources side by side per key, with notes that explain the differences."""
    keys = {r.key for r in details.rows} | {r.key for r in aggregates.rows}
    d = {r.key: r.values for r in details.rows}
    a = {r.key: r.values for r in aggregates.rows}
    rows = []
    for key in sorted(keys, key=sort_key):
        conv = int(d.get(key, {}).get("conversations") or 0)
        offered = int(a.get(key, {}).get("offered") or 0)
        connected = int(a.get(key, {}).get("connected") or 0)
        values = {
            "conversations": conv,
            "offered": offered,
            "connected": connected,
            "difference": offered - conv,
        }
        rows.append(VolumeRow(key, values))
    conv_total = int(details.totals.get("conversations") or 0)
    offered_total = int(aggregates.totals.get("offered") or 0)
    totals = {
        "conversations": conv_total,
        "offered": offered_total,
        "connected": int(aggregates.totals.get("connected") or 0),
        "difference": offered_total - conv_total,
    }
    return VolumeReport(
        details.interval,
        "details+aggregates",
        details.by,
        COMPARE_COLUMNS,
        tuple(rows),
        totals,
        details.time_zone,
        explain(facts, details.by, conv_total, offered_total),
    )


def explain(
    facts: Sequence[Facts], by: Sequence[str], conversations: int, offered: int
) -> tuple[str, ...]:
    """Why ``offered`` (aggregates) and ``conversations`` (details) differ, with numbers."""
    never = [f for f in facts if f.offers == 0]
    outbound = sum(1 for f in never if f.direction == "outbound")
    repeat = [f for f in facts if f.offers > 1]
    extra = sum(f.offers - 1 for f in repeat)
    multi = sum(1 for f in facts if len(f.media) > 1)
    predicted = sum(f.offers for f in facts)
    notes = [
        f"details counts {conversations:,} distinct conversations that started in the "
        f"interval; aggregates counts {offered:,} contacts offered to a queue in it "
        "(nOffered): contacts, not conversations.",
        f"{len(never):,} conversations were never offered to a queue, so nOffered "
        f"misses them: {outbound:,} outbound (outbound is not offered) and "
        f"{len(never) - outbound:,} that ended in the IVR or before reaching a queue.",
        f"{len(repeat):,} conversations were offered more than once (transfers, a callback "
        f"after a call, several queues), adding {extra:,} offers.",
        f"the details conversations hold {predicted:,} offers in all; the remaining "
        f"{offered - predicted:+,} come from the edges: aggregates places an offer at the "
        "moment it happened, details places a conversation at its start, so a "
        "conversation that started just before the interval and was offered inside it "
        "counts only in aggregates (and the reverse).",
    ]
    if "mediaType" in by:
        notes.append(
            f"{multi:,} conversations have more than one media type (e.g. callback + "
            "voice) and count once under each in details."
        )
    if "day" in by or "hour" in by:
        notes.append(
            "day/hour: details buckets a conversation by its start, aggregates by when "
            "each contact was offered; a conversation offered after midnight moves a "
            "contact to the next day."
        )
    return tuple(notes)


__all__ = ["COMPARE_COLUMNS", "compare", "explain"]
