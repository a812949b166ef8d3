"""VEO job ownership in-process: a user token sees and changes only its own jobs, through every
route (get, put, If-Match, delete, lists and their cursors, delete-all); `?user_id=` for the
service token; VEO_SHARED_POOL. A hypothesis state machine interleaves several users."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tests.support.client import SECRET, SERVICE_TOKEN, AppClient, body_of
from tests.support.tokens import mint

NOW = int(time.time())


def token_of(sub: str) -> str:
    return mint("HS256", SECRET.encode(), {"sub": sub, "exp": NOW + 6 * 3600})


ALICE, BOB = token_of("alice"), token_of("bob")


async def list_all(
    client: AppClient, token: str | None, query: str = "", limit: int = 2
) -> list[dict[str, Any]]:
    """Every item of a list, page by page through its cursors."""
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        answer = await client.call("GET", f"/api/veo/jobs?limit={limit}{query}{cursor}", token=token)
        assert answer.status == 200, body_of(answer)
        page = body_of(answer)
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        cursor = f"&cursor={page['next_cursor']}"


async def test_another_users_job_is_invisible_and_untouchable() -> None:
    client = AppClient()
    created = await client.call("PUT", "/api/veo/jobs/j1", {"status": "done"}, token=ALICE)
    assert created.status == 201 and body_of(created)["user_id"] == "alice"
    etag = created.headers["etag"]
    assert (await client.call("GET", "/api/veo/jobs/j1", token=BOB)).status == 404
    taken = await client.call("PUT", "/api/veo/jobs/j1", {"status": "mine"}, token=BOB)
    assert taken.status == 409 and body_of(taken)["error"]["code"] == "conflict"
    assert (await client.call("PUT", "/api/veo/jobs/j1", {}, token=BOB, if_match=etag)).status == 409
    assert (await client.call("PUT", "/api/veo/jobs/j1", {}, token=BOB, if_none_match="*")).status == 409
    assert (await client.call("DELETE", "/api/veo/jobs/j1", token=BOB)).status == 404
    assert (await client.call("DELETE", "/api/veo/jobs/j1", token=BOB, if_match=etag)).status == 404
    assert await list_all(client, BOB) == []
    deleted = await client.call("DELETE", "/api/veo/jobs?confirm=all", token=BOB)
    assert body_of(deleted) == {"deleted": 0, "more": False}
    still = await client.call("GET", "/api/veo/jobs/j1", token=ALICE)
    assert still.status == 200 and body_of(still) == {"status": "done"}
    assert (await client.call("PUT", "/api/veo/jobs/j1", {}, token=ALICE, if_match=etag)).status == 200


async def test_the_service_sees_all_and_acts_as_a_user_with_user_id() -> None:
    client = AppClient()
    await client.call("PUT", "/api/veo/jobs/a1", {}, token=ALICE)
    await client.call("PUT", "/api/veo/jobs/s1", {})
    made = await client.call("PUT", "/api/veo/jobs/b1?user_id=bob", {})
    assert body_of(made)["user_id"] == "bob"
    assert {i["job_id"]: i["user_id"] for i in await list_all(client, SERVICE_TOKEN)} == {
        "a1": "alice",
        "s1": None,
        "b1": "bob",
    }
    listed = await list_all(AppClient(client.fake), token_of("service-token-for-tests"), "")
    assert listed == []  # a JWT whose sub happens to look like anything is a user, never the service
    assert [i["job_id"] for i in await list_all(client, SERVICE_TOKEN, "&user_id=bob")] == ["b1"]
    assert [i["job_id"] for i in await list_all(client, BOB)] == ["b1"]
    assert (await client.call("GET", "/api/veo/jobs/a1?user_id=bob")).status == 404
    assert (await client.call("PUT", "/api/veo/jobs/a1?user_id=bob", {})).status == 409
    # The service without user_id updates anyone's job and keeps its owner.
    updated = await client.call("PUT", "/api/veo/jobs/a1", {"status": "fixed"})
    assert updated.status == 200 and body_of(updated)["user_id"] == "alice"


async def test_user_tokens_may_not_name_a_user_id() -> None:
    client = AppClient()
    for method, path in (("GET", "/api/veo/jobs?user_id=alice"), ("GET", "/api/veo/jobs/x?user_id=alice")):
        answer = await client.call(method, path, token=ALICE)
        assert answer.status == 400 and body_of(answer)["error"]["field"] == "user_id"
    bad = await client.call("GET", "/api/veo/jobs?user_id=has%20space")
    assert bad.status == 400


async def test_a_cursor_from_one_users_list_is_refused_on_anothers() -> None:
    client = AppClient()
    for i in range(3):
        await client.call("PUT", f"/api/veo/jobs/a{i}", {}, token=ALICE)
        await client.call("PUT", f"/api/veo/jobs/b{i}", {}, token=BOB)
    page = body_of(await client.call("GET", "/api/veo/jobs?limit=1", token=ALICE))
    cursor = page["next_cursor"]
    assert (await client.call("GET", f"/api/veo/jobs?limit=1&cursor={cursor}", token=ALICE)).status == 200
    refused = await client.call("GET", f"/api/veo/jobs?limit=1&cursor={cursor}", token=BOB)
    assert refused.status == 400 and body_of(refused)["error"]["field"] == "cursor"
    assert (await client.call("GET", f"/api/veo/jobs?limit=1&cursor={cursor}")).status == 400
    assert (await client.call("GET", f"/api/veo/jobs?limit=1&cursor={cursor}&user_id=alice")).status == 200


async def test_filters_stay_within_the_owner() -> None:
    client = AppClient()
    await client.call("PUT", "/api/veo/jobs/a1", {"status": "completed", "videoId": "v1"}, token=ALICE)
    await client.call("PUT", "/api/veo/jobs/b1", {"status": "completed", "videoId": "v1"}, token=BOB)
    for query in ("&status=completed", "&video_id=v1", "&status=completed&video_id=v1"):
        assert [i["job_id"] for i in await list_all(client, ALICE, query)] == ["a1"]


async def test_delete_all_by_a_user_deletes_only_theirs() -> None:
    client = AppClient()
    for name, token in (("a", ALICE), ("b", BOB)):
        for i in range(3):
            await client.call("PUT", f"/api/veo/jobs/{name}{i}", {}, token=token)
    answer = await client.call("DELETE", "/api/veo/jobs?confirm=all", token=ALICE)
    assert body_of(answer) == {"deleted": 3, "more": False}
    assert len(await list_all(client, SERVICE_TOKEN)) == 3
    assert client.fake.conn.execute("SELECT count(*) FROM veo_job_data").fetchone()[0] == 3


async def test_a_users_delete_all_in_chunks_never_touches_another_users_jobs() -> None:
    client = AppClient()
    for name, token in (("a", ALICE), ("b", BOB)):
        for i in range(5):
            await client.call("PUT", f"/api/veo/jobs/{name}{i}", {}, token=token)
    answers = []
    while not answers or answers[-1]["more"]:
        answers.append(body_of(await client.call("DELETE", "/api/veo/jobs?confirm=all&limit=2", token=ALICE)))
    assert answers == [
        {"deleted": 2, "more": True},
        {"deleted": 2, "more": True},
        {"deleted": 1, "more": False},
    ]
    assert sorted(i["job_id"] for i in await list_all(client, SERVICE_TOKEN)) == [f"b{i}" for i in range(5)]
    assert client.fake.conn.execute("SELECT count(*) FROM veo_job_data").fetchone()[0] == 5


async def test_shared_pool_lets_every_user_see_and_change_every_job() -> None:
    client = AppClient(VEO_SHARED_POOL="true")
    await client.call("PUT", "/api/veo/jobs/a1", {"status": "one"}, token=ALICE)
    assert (await client.call("GET", "/api/veo/jobs/a1", token=BOB)).status == 200
    changed = await client.call("PUT", "/api/veo/jobs/a1", {"status": "two"}, token=BOB)
    assert changed.status == 200 and body_of(changed)["user_id"] == "alice"  # still created by alice
    assert [i["job_id"] for i in await list_all(client, BOB)] == ["a1"]
    assert (await client.call("DELETE", "/api/veo/jobs/a1", token=BOB)).status == 204


async def test_an_expired_job_of_another_user_can_be_taken_over() -> None:
    client = AppClient()
    await client.call("PUT", "/api/veo/jobs/old", {}, token=ALICE)
    client.fake.conn.execute("UPDATE veo_jobs SET expires_at = 1 WHERE job_id = 'old'")
    revived = await client.call("PUT", "/api/veo/jobs/old", {"new": True}, token=BOB)
    assert revived.status == 201 and body_of(revived)["user_id"] == "bob"


USERS = ("alice", "bob", "carol")
JOB_IDS = ("j1", "j2", "j3", "j4")


class Ownership(RuleBasedStateMachine):
    """Interleaved operations of several users and the service against a model of who owns what."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.client = AppClient()
        self.owner: dict[str, str | None] = {}  # job id -> owner
        self.etags: dict[str, str] = {}  # job id -> current etag
        self.seen_etags: list[str] = []

    def teardown(self) -> None:
        self.loop.close()

    def call(self, who: str | None, method: str, path: str, body: Any = None, **headers: str) -> Any:
        token = SERVICE_TOKEN if who is None else token_of(who)
        return self.loop.run_until_complete(self.client.call(method, path, body, token=token, **headers))

    @rule(who=st.sampled_from(USERS), job=st.sampled_from(JOB_IDS), n=st.integers(0, 9))
    def put(self, who: str, job: str, n: int) -> None:
        answer = self.call(who, "PUT", f"/api/veo/jobs/{job}", {"n": n, "by": who})
        if job in self.owner and self.owner[job] != who:
            assert answer.status == 409
            return
        assert answer.status == (200 if job in self.owner else 201)
        self.owner.setdefault(job, who)
        self.etags[job] = answer.headers["etag"]
        self.seen_etags.append(answer.headers["etag"])

    @rule(who=st.sampled_from(USERS), job=st.sampled_from(JOB_IDS), pick=st.integers(0, 50))
    def put_if_match(self, who: str, job: str, pick: int) -> None:
        if not self.seen_etags:
            return
        etag = self.seen_etags[pick % len(self.seen_etags)]
        answer = self.call(who, "PUT", f"/api/veo/jobs/{job}", {"m": pick}, if_match=etag)
        if job in self.owner and self.owner[job] != who:
            assert answer.status == 409
        elif job in self.owner and self.etags[job] == etag:
            assert answer.status == 200
            self.etags[job] = answer.headers["etag"]
            self.seen_etags.append(answer.headers["etag"])
        else:
            assert answer.status == 412

    @rule(who=st.sampled_from(USERS), job=st.sampled_from(JOB_IDS))
    def get(self, who: str, job: str) -> None:
        answer = self.call(who, "GET", f"/api/veo/jobs/{job}")
        assert answer.status == (200 if self.owner.get(job, "") == who else 404)

    @rule(who=st.sampled_from(USERS), job=st.sampled_from(JOB_IDS), conditional=st.booleans())
    def delete(self, who: str, job: str, conditional: bool) -> None:
        headers = {"if_match": self.etags[job]} if conditional and job in self.etags else {}
        answer = self.call(who, "DELETE", f"/api/veo/jobs/{job}", **headers)
        if self.owner.get(job, "") == who:
            assert answer.status == 204
            del self.owner[job], self.etags[job]
        else:
            assert answer.status == 404

    @rule(job=st.sampled_from(JOB_IDS))
    def service_put(self, job: str) -> None:
        answer = self.call(None, "PUT", f"/api/veo/jobs/{job}", {"service": True})
        assert answer.status == (200 if job in self.owner else 201)
        self.owner.setdefault(job, None)
        self.etags[job] = answer.headers["etag"]

    @invariant()
    def each_user_lists_exactly_their_own(self) -> None:
        for who in USERS:
            items = self.loop.run_until_complete(list_all(self.client, token_of(who), limit=1))
            assert sorted(i["job_id"] for i in items) == sorted(j for j, o in self.owner.items() if o == who)
            assert all(i["user_id"] == who for i in items)


Ownership.TestCase.settings = settings(max_examples=40, stateful_step_count=15, deadline=None)
TestOwnership = Ownership.TestCase
