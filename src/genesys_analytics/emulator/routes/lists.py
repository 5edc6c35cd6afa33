"""The dimension lists: users, queues and their members, wrap-up codes, divisions and
presence definitions (agents-and-dimensions-api.md §4).

Page-number listings answer ``{entities, pageSize, pageNumber, total, pageCount, firstUri,
selfUri, lastUri}`` plus ``nextUri`` unless on the last page and ``previousUri`` after the
first. Queue members follow ``nextUri`` only (no ``total``, ``pageCount`` or ``lastUri``);
presence definitions come in one unpaged ``{total, entities, selfUri}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from genesys_analytics.emulator.data.pieces import ts
from genesys_analytics.emulator.data.timelines import OPEN, ROUTING
from genesys_analytics.emulator.limits import check_page_size, int_param, one_of
from genesys_analytics.emulator.responses import bad_request, json_response, not_found
from genesys_analytics.emulator.state import EmulatorState

QUEUES_PATH = "/api/v2/routing/queues"
USERS_PATH = "/api/v2/users"
WRAPUP_PATH = "/api/v2/routing/wrapupcodes"
DIVISIONS_PATH = "/api/v2/authorization/divisions"
PRESENCE_PATH = "/api/v2/presence/definitions"
USER_STATES = ("active", "inactive", "deleted", "any")


def _emu(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emu
    return state


def _uri(path: str, page_size: int, page_number: int, extra: dict[str, str]) -> str:
    query = urlencode({"pageSize": page_size, "pageNumber": page_number, **extra})
    return f"{path}?{query}"


def _paging(request: Request, max_size: int) -> tuple[int, int]:
    params = request.query_params
    page_size = int_param(params.get("pageSize"), "pageSize", 25)
    check_page_size(page_size, max_size)
    return page_size, int_param(params.get("pageNumber"), "pageNumber", 1)


def paged(
    path: str, items: list[Any], page_size: int, page_number: int, extra: dict[str, str]
) -> dict[str, Any]:
    """One page of ``items`` in the page-number envelope."""
    total = len(items)
    page_count = max(1, -(-total // page_size))
    start = (page_number - 1) * page_size
    out: dict[str, Any] = {
        "entities": items[start : start + page_size],
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
        "firstUri": _uri(path, page_size, 1, extra),
        "selfUri": _uri(path, page_size, page_number, extra),
        "lastUri": _uri(path, page_size, page_count, extra),
    }
    if page_number < page_count:
        out["nextUri"] = _uri(path, page_size, page_number + 1, extra)
    if page_number > 1:
        out["previousUri"] = _uri(path, page_size, min(page_number - 1, page_count), extra)
    return out


def _by_name(items: list[dict], name: str | None, extra: dict[str, str]) -> list[dict]:
    if not name:
        return items
    extra["name"] = name
    needle = name.replace("*", "").lower()
    return [i for i in items if needle in str(i["name"]).lower()]


def _ids(request: Request) -> set[str]:
    return {i.strip() for raw in request.query_params.getlist("id") for i in raw.split(",")} - {""}


def _sorted(items: list[dict], descending: bool, key: str = "name") -> list[dict]:
    sort_key: Callable[[dict], tuple[str, str]] = lambda i: (str(i[key]).lower(), str(i["id"]))  # noqa: E731
    return sorted(items, key=sort_key, reverse=descending)


async def queues(request: Request) -> Response:
    state = _emu(request)
    page_size, page_number = _paging(request, state.settings.queues_max_page_size)
    params = request.query_params
    sort_order = one_of(params.get("sortOrder"), "sortOrder", ("asc", "desc"), "asc")
    extra: dict[str, str] = {}
    items = _by_name(_sorted(state.org.queues, sort_order == "desc"), params.get("name"), extra)
    if "sortOrder" in params:
        extra["sortOrder"] = sort_order
    return json_response(paged(QUEUES_PATH, items, page_size, page_number, extra))


async def users(request: Request) -> Response:
    state = _emu(request)
    s = state.settings
    page_size, page_number = _paging(request, s.users_max_page_size)
    if page_number * page_size > s.users_deep_paging_cap:
        raise bad_request(
            f"Paging past {s.users_deep_paging_cap} users is not allowed (pageNumber "
            f"{page_number} × pageSize {page_size}). Narrow the listing, e.g. by state or id."
        )
    params = request.query_params
    state_param = (params.get("state") or "active").lower()
    if state_param not in USER_STATES:
        raise bad_request(f"state {params.get('state')!r} is not one of {', '.join(USER_STATES)}.")
    order = (params.get("sortOrder") or "ASC").lower()
    if order not in ("asc", "ascending", "desc", "descending"):
        raise bad_request(f"sortOrder {params.get('sortOrder')!r} is not ascending or descending.")
    items = [u for u in state.org.users if state_param in ("any", u["state"])]
    ids = _ids(request)
    extra: dict[str, str] = {}
    if ids:
        items = [u for u in items if u["id"] in ids]
        extra["id"] = ",".join(sorted(ids))
    if "state" in params:
        extra["state"] = state_param
    items = _sorted(items, order.startswith("desc"))
    return json_response(paged(USERS_PATH, items, page_size, page_number, extra))


async def wrapup_codes(request: Request) -> Response:
    state = _emu(request)
    page_size, page_number = _paging(request, state.settings.lists_max_page_size)
    params = request.query_params
    sort_by = one_of(params.get("sortBy"), "sortBy", ("name", "id"), "name")
    order = one_of(params.get("sortOrder"), "sortOrder", ("ascending", "descending"), "ascending")
    extra: dict[str, str] = {}
    items = _sorted(state.org.wrapups, order == "descending", sort_by)
    items = _by_name(items, params.get("name"), extra)
    ids = _ids(request)
    if ids:
        items = [i for i in items if i["id"] in ids]
    return json_response(paged(WRAPUP_PATH, items, page_size, page_number, extra))


async def divisions(request: Request) -> Response:
    state = _emu(request)
    page_size, page_number = _paging(request, state.settings.lists_max_page_size)
    extra: dict[str, str] = {}
    items = _by_name(_sorted(state.org.divisions, False), request.query_params.get("name"), extra)
    ids = _ids(request)
    if ids:
        items = [i for i in items if i["id"] in ids]
    return json_response(paged(DIVISIONS_PATH, items, page_size, page_number, extra))


async def presence_definitions(request: Request) -> Response:
    state = _emu(request)
    deactivated = (request.query_params.get("deactivated") or "false").lower()
    if deactivated not in ("true", "false"):
        raise bad_request(f"deactivated {deactivated!r} is not TRUE or FALSE.")
    items = [
        d for d in state.org.presence_definitions if d["deactivated"] == (deactivated == "true")
    ]
    return json_response({"total": len(items), "entities": items, "selfUri": PRESENCE_PATH})


def _current_routing(state: EmulatorState) -> dict[str, tuple[str, int]]:
    """User id -> (routing status, since) of the routing record open at ``now``."""
    timelines = state.org.timelines
    return {
        r[2]: (r[4], r[0])
        for r in timelines.touching(timelines.now_day)
        if r[3] == ROUTING and r[1] == OPEN
    }


async def queue_members(request: Request) -> Response:
    state = _emu(request)
    queue_id = request.path_params["queueId"]
    member_ids = state.org.members.get(queue_id)
    if member_ids is None:
        raise not_found(f"Queue {queue_id} was not found.")
    page_size, page_number = _paging(request, state.settings.queue_members_max_page_size)
    path = f"{QUEUES_PATH}/{queue_id}/members"
    users = state.org.roster.by_id
    members = _sorted([users[uid] for uid in member_ids], False)
    start = (page_number - 1) * page_size
    routing = _current_routing(state)
    entities = []
    for user in members[start : start + page_size]:
        entity: dict[str, Any] = {
            "id": user["id"],
            "name": user["name"],
            "user": user,
            "ringNumber": 1,
            "joined": True,
            "memberBy": "user",
            "selfUri": f"{path}/{user['id']}",
        }
        if user["id"] in routing:
            status, since = routing[user["id"]]
            entity["routingStatus"] = {
                "userId": user["id"],
                "status": status,
                "startTime": ts(since),
            }
        entities.append(entity)
    out: dict[str, Any] = {
        "entities": entities,
        "pageNumber": page_number,
        "pageSize": page_size,
        "firstUri": _uri(path, page_size, 1, {}),
        "selfUri": _uri(path, page_size, page_number, {}),
    }
    if start + page_size < len(members):
        out["nextUri"] = _uri(path, page_size, page_number + 1, {})
    if page_number > 1:
        out["previousUri"] = _uri(path, page_size, page_number - 1, {})
    return json_response(out)
