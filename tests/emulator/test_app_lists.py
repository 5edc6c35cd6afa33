"""The dimension lists: users, wrap-up codes, divisions, presence definitions, queue members,
queues' service levels, and the truth of each dataset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from genesys_analytics.emulator import RunningEmulator, run_emulator
from genesys_analytics.emulator.data.org import WRAPUP_TIMEOUT
from tests.emulator.conftest import QUEUES, FakeClock, api_client, small_settings

USERS = "/api/v2/users"
WRAPUPS = "/api/v2/routing/wrapupcodes"
DIVISIONS = "/api/v2/authorization/divisions"
PRESENCE = "/api/v2/presence/definitions"


def follow(api: httpx.Client, url: str) -> tuple[list[dict], list[dict]]:
    """Every entity of a listing by following nextUri; also the pages."""
    entities: list[dict] = []
    pages: list[dict] = []
    next_url: str | None = url
    while next_url is not None:
        r = api.get(next_url)
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        entities.extend(page["entities"])
        next_url = page.get("nextUri")
    return entities, pages


def test_users_by_state_and_the_last_page_has_no_next_uri(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    everyone, pages = follow(api, f"{USERS}?pageSize=10&state=any")
    assert len(pages) == 5 and "nextUri" not in pages[-1] and "previousUri" in pages[-1]
    assert {u["id"] for u in everyone} == set(emu.truth(dataset="users")["ids"])
    states = [u["state"] for u in everyone]
    assert states.count("inactive") == 3 and states.count("deleted") == 3
    active, _ = follow(api, USERS)
    assert {u["state"] for u in active} == {"active"} and len(active) == 42
    single = api.get(USERS, params={"state": "deleted"}).json()
    assert set(single) == {
        "entities",
        "pageSize",
        "pageNumber",
        "total",
        "pageCount",
        "firstUri",
        "selfUri",
        "lastUri",
    }
    assert single["total"] == 3 and single["pageCount"] == 1
    names = [u["name"] for u in active]
    assert names == sorted(names, key=str.lower)
    # conversations name roster users, leavers included
    agents = {
        p["userId"]
        for d in range(10)
        for c in emu.app_state.org.day(emu.app_state.org.first_day.replace(day=6 + d))
        for p in c["participants"]
        if p["purpose"] == "agent"
    }
    leavers = {u["id"] for u in everyone if u["state"] != "active"}
    assert agents <= {u["id"] for u in everyone} and agents & leavers


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"state": "gone"}, "state 'gone'"),
        ({"pageSize": 501}, "maximum page size of 500"),
        ({"pageSize": 500, "pageNumber": 21}, "past 10000 users"),
        ({"sortOrder": "upwards"}, "sortOrder"),
    ],
)
def test_users_rules(api: httpx.Client, params: dict[str, Any], words: str) -> None:
    r = api.get(USERS, params=params)
    assert r.status_code == 400 and words in r.json()["message"], r.text


def test_users_deep_paging_cap_is_a_setting() -> None:
    settings = small_settings(days=1, per_day=20, users_deep_paging_cap=20)
    with run_emulator(settings, clock=FakeClock()) as emu, api_client(emu) as api:
        assert api.get(USERS, params={"pageSize": 5, "pageNumber": 4}).status_code == 200
        r = api.get(USERS, params={"pageSize": 5, "pageNumber": 5, "state": "any"})
        assert r.status_code == 400 and "past 20 users" in r.json()["message"]


def test_wrapup_codes_and_the_system_code_on_conversations(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    codes, pages = follow(api, f"{WRAPUPS}?pageSize=3")
    assert len(pages) == 3 and [c["name"] for c in codes] == sorted(c["name"] for c in codes)
    ids = {c["id"] for c in codes}
    assert ids == set(emu.truth(dataset="wrapup-codes")["ids"]) and WRAPUP_TIMEOUT not in ids
    used = {
        seg["wrapUpCode"]
        for c in emu.app_state.org.day(emu.app_state.org.last_day.replace(day=13))
        for p in c["participants"]
        for s in p["sessions"]
        for seg in s["segments"]
        if "wrapUpCode" in seg
    }
    assert used == ids | {WRAPUP_TIMEOUT}
    desc = api.get(WRAPUPS, params={"sortOrder": "descending", "pageSize": 100}).json()
    assert [c["name"] for c in desc["entities"]] == sorted((c["name"] for c in codes), reverse=True)
    assert api.get(WRAPUPS, params={"sortOrder": "up"}).status_code == 400


def test_divisions_and_presence_definitions(emu: RunningEmulator, api: httpx.Client) -> None:
    divisions, _ = follow(api, DIVISIONS)
    assert {d["id"] for d in divisions} == set(emu.truth(dataset="divisions")["ids"])
    assert [d["homeDivision"] for d in divisions] == [True, False]
    listing = api.get(PRESENCE).json()
    assert set(listing) == {"total", "entities", "selfUri"} and listing["total"] == 13
    spellings = {d["systemPresence"] for d in listing["entities"]}
    assert "OnQueue" in spellings and "ON_QUEUE" not in spellings
    ids = {d["id"] for d in listing["entities"]}
    assert ids == set(emu.truth(dataset="presence-definitions")["ids"])
    # every organizationPresenceId in the timelines is a listed definition
    records = emu.app_state.org.timelines.touching(emu.app_state.org.last_day.replace(day=13))
    assert {r[5] for r in records if r[3] == "presence"} <= ids
    assert api.get(PRESENCE, params={"deactivated": "TRUE"}).json()["total"] == 0
    assert api.get(PRESENCE, params={"deactivated": "maybe"}).status_code == 400


def test_queues_carry_service_levels_and_members_follow_next_uri(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    queues, _ = follow(api, f"{QUEUES}?pageSize=100")
    assert {q["id"] for q in queues} == set(emu.truth(dataset="queues")["ids"])
    for queue in queues:
        for media in queue["mediaSettings"].values():
            level = media["serviceLevel"]
            assert 0 < level["percentage"] <= 1 and level["durationMs"] > 0
    queue = max(queues, key=lambda q: q["memberCount"])
    members, pages = follow(api, f"{QUEUES}/{queue['id']}/members?pageSize=4")
    assert len(members) == queue["memberCount"] == len({m["id"] for m in members}) > 4
    assert all(
        set(p)
        <= {"entities", "pageNumber", "pageSize", "firstUri", "selfUri", "nextUri", "previousUri"}
        for p in pages
    )
    assert "nextUri" not in pages[-1] and "nextUri" in pages[0]
    assert all(m["user"]["state"] == "active" and m["id"] == m["user"]["id"] for m in members)
    statuses = {m["routingStatus"]["status"] for m in members if "routingStatus" in m}
    assert statuses and statuses <= {"OFF_QUEUE", "IDLE", "INTERACTING"}
    r = api.get(f"{QUEUES}/{queue['id']}/members", params={"pageSize": 101})
    assert r.status_code == 400 and "maximum page size of 100" in r.json()["message"]
    assert api.get(f"{QUEUES}/no-such-queue/members").status_code == 404


def test_truth_rejects_an_unknown_dataset(emu: RunningEmulator) -> None:
    r = httpx.get(f"{emu.base_url}/_emulator/truth", params={"dataset": "agents"})
    assert r.status_code == 400 and "user-details" in r.json()["message"]
    old = emu.truth("2024-05-12", "2024-05-13")
    assert set(old) == {"start", "end", "ids", "counts", "total"}
