"""Report snapshots over HTTP through the local runtime: upserts and their revisions under
concurrency, ETags and preconditions, `latest`, list filters and retention."""

from __future__ import annotations

import gzip
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.assertions import assert_error
from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime


def new_type(prefix: str = "rep") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def put(client: httpx.Client, kind: str, day: str, content: Any, **headers: str) -> httpx.Response:
    return client.put(f"/api/reports/{kind}/{day}", json={"content": content}, headers=headers)


def test_put_creates_then_replaces_keeping_created_at(client: httpx.Client) -> None:
    kind = new_type()
    first = put(client, kind, "2026-11-01", {"summary": "first", "n": [1, 2]})
    assert first.status_code == 201, first.text
    assert first.json()["revision"] == 1 and "content" not in first.json()
    assert first.headers["location"] == f"/api/reports/{kind}/2026-11-01"
    second = client.put(
        f"/api/reports/{kind}/2026-11-01",
        json={"content": {"summary": "second"}, "metadata": {"host": "a"}, "trigger_source": "cron"},
    )
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["revision"] == 2 and body["created_at"] == first.json()["created_at"]
    assert body["metadata"] == {"host": "a"} and body["trigger_source"] == "cron"
    assert second.headers["etag"] != first.headers["etag"]
    got = client.get(f"/api/reports/{kind}/2026-11-01")
    assert got.status_code == 200
    assert got.json()["content"] == {"summary": "second"} and got.json()["revision"] == 2
    assert got.headers["etag"] == second.headers["etag"]


def test_content_is_stored_gzip_compressed(client: httpx.Client, local: LocalRuntime) -> None:
    kind = new_type()
    content = {"rows": [{"symbol": f"S{i}", "score": i / 7} for i in range(300)]}
    assert put(client, kind, "2026-11-02", content).status_code == 201
    row = local.sql(
        "SELECT hex(content) AS h, size_bytes, stored_bytes FROM reports WHERE report_type = ?1", kind
    )[0]
    stored = bytes.fromhex(row["h"])
    assert json.loads(gzip.decompress(stored)) == content
    assert row["stored_bytes"] == len(stored) < row["size_bytes"]


def test_concurrent_puts_of_one_key_leave_one_row_with_every_revision(
    client: httpx.Client, local: LocalRuntime
) -> None:
    kind, writers = new_type(), 12
    with ThreadPoolExecutor(max_workers=writers) as pool:
        answers = list(pool.map(lambda i: put(client, kind, "2026-11-03", {"writer": i}), range(writers)))
    assert sorted(a.status_code for a in answers) == [200] * (writers - 1) + [201]
    assert sorted(a.json()["revision"] for a in answers) == list(range(1, writers + 1))
    rows = local.sql("SELECT revision FROM reports WHERE report_type = ?1", kind)
    assert rows == [{"revision": writers}]


def test_if_match_and_if_none_match_on_put(client: httpx.Client) -> None:
    kind = new_type()
    assert_error(
        put(client, kind, "2026-11-04", {"v": 0}, **{"If-Match": '"r1-1"'}), 412, "precondition_failed"
    )
    created = put(client, kind, "2026-11-04", {"v": 1}, **{"If-None-Match": "*"})
    assert created.status_code == 201
    assert_error(
        put(client, kind, "2026-11-04", {"v": 2}, **{"If-None-Match": "*"}), 412, "precondition_failed"
    )
    tag = created.headers["etag"]
    updated = put(client, kind, "2026-11-04", {"v": 3}, **{"If-Match": tag})
    assert updated.status_code == 200 and updated.json()["revision"] == 2
    stale = put(client, kind, "2026-11-04", {"v": 4}, **{"If-Match": tag})
    assert_error(stale, 412, "precondition_failed")
    assert client.get(f"/api/reports/{kind}/2026-11-04").json()["content"] == {"v": 3}
    assert put(client, kind, "2026-11-04", {"v": 5}, **{"If-Match": "*"}).json()["revision"] == 3


def test_get_answers_304_to_its_etag(client: httpx.Client) -> None:
    kind = new_type()
    tag = put(client, kind, "2026-11-05", [1, 2, 3]).headers["etag"]
    again = client.get(f"/api/reports/{kind}/2026-11-05", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    put(client, kind, "2026-11-05", [4])
    changed = client.get(f"/api/reports/{kind}/2026-11-05", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json()["content"] == [4]
    latest = client.get(f"/api/reports/{kind}/latest", headers={"If-None-Match": changed.headers["etag"]})
    assert latest.status_code == 304


def test_latest_is_the_newest_date_not_the_newest_write(client: httpx.Client) -> None:
    kind = new_type()
    assert_error(client.get(f"/api/reports/{kind}/latest"), 404, "not_found")
    days = ["2026-10-30", "2026-11-28", "2026-01-15", "2026-11-02", "2025-12-31"]
    for day in days:
        assert put(client, kind, day, {"day": day}).status_code == 201
    put(client, kind, "2026-01-15", {"day": "rewritten"})  # the newest write, an older date
    latest = client.get(f"/api/reports/{kind}/latest")
    assert latest.status_code == 200
    assert latest.json()["scheduled_date"] == "2026-11-28" and latest.json()["content"] == {
        "day": "2026-11-28"
    }


def test_latest_is_never_a_date_for_writes(client: httpx.Client) -> None:
    kind = new_type()
    assert_error(put(client, kind, "latest", {"x": 1}), 400, "validation_error")
    assert_error(client.delete(f"/api/reports/{kind}/latest"), 400, "validation_error")


@pytest.mark.parametrize("day", ["2026-13-01", "2026-02-30", "26-11-01", "today"])
def test_bad_dates_are_400(client: httpx.Client, day: str) -> None:
    assert_error(put(client, new_type(), day, {"x": 1}), 400, "validation_error")


def test_bad_bodies_are_400_and_store_nothing(client: httpx.Client, local: LocalRuntime) -> None:
    kind = new_type()
    url = f"/api/reports/{kind}/2026-11-06"
    assert_error(client.put(url, json={}), 400, "validation_error")
    assert_error(client.put(url, json={"content": None}), 400, "validation_error")
    assert_error(client.put(url, json={"content": 1, "extra": 1}), 400, "validation_error")
    assert_error(client.put(url, json={"content": 1, "metadata": [1]}), 400, "validation_error")
    assert_error(client.put("/api/reports/Bad Type/2026-11-06", json={"content": 1}), 400, "validation_error")
    too_big = {"blob": "x" * (1024 * 1024)}
    assert_error(client.put(url, json={"content": too_big}), 413, "payload_too_large")
    assert local.sql("SELECT count(*) AS n FROM reports WHERE report_type = ?1", kind) == [{"n": 0}]


def test_delete(client: httpx.Client) -> None:
    kind = new_type()
    tag = put(client, kind, "2026-11-07", {"x": 1}).headers["etag"]
    assert_error(
        client.delete(f"/api/reports/{kind}/2026-11-07", headers={"If-Match": '"r0-9"'}),
        412,
        "precondition_failed",
    )
    assert client.delete(f"/api/reports/{kind}/2026-11-07", headers={"If-Match": tag}).status_code == 204
    assert_error(client.get(f"/api/reports/{kind}/2026-11-07"), 404, "not_found")
    assert_error(client.delete(f"/api/reports/{kind}/2026-11-07"), 404, "not_found")
    recreated = put(client, kind, "2026-11-07", {"x": 1})
    assert recreated.status_code == 201 and recreated.headers["etag"] != tag


def list_all(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = client.get("/api/reports", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def test_list_filters_and_pages_newest_date_first(client: httpx.Client) -> None:
    kind, other = new_type("lista"), new_type("listb")
    days = [f"2026-09-{d:02d}" for d in range(1, 13)]
    for day in days:
        put(client, kind, day, {"d": day})
    put(client, other, "2026-09-05", {"d": 1})
    mine = list_all(client, type=kind, limit=5)
    assert [r["scheduled_date"] for r in mine] == sorted(days, reverse=True)
    assert all("content" not in r and r["report_type"] == kind for r in mine)
    window = list_all(client, type=kind, since="2026-09-03", until="2026-09-06", limit=2)
    assert [r["scheduled_date"] for r in window] == ["2026-09-06", "2026-09-05", "2026-09-04", "2026-09-03"]
    day = list_all(client, since="2026-09-05", until="2026-09-05", limit=1)
    assert {r["report_type"] for r in day} >= {kind, other}
    assert_error(
        client.get("/api/reports", params={"since": "2026-09-06", "until": "2026-09-05"}),
        400,
        "validation_error",
    )
    assert_error(client.get("/api/reports", params={"since": "yesterday"}), 400, "validation_error")


def test_retention_deletes_old_dates_in_chunks() -> None:
    with (
        local_runtime(
            vars={"API_TOKEN": TEST_TOKEN, "REPORT_RETENTION_DAYS": "30", "MAINTENANCE_CHUNK_ROWS": "2"}
        ) as rt,
        httpx.Client(base_url=rt.url, headers={"authorization": f"Bearer {TEST_TOKEN}"}, timeout=60) as c,
    ):
        kind = new_type()
        old = ["2020-01-01", "2020-01-02", "2020-01-03", "2021-06-30", "2022-02-02"]
        for day in [*old, "2999-01-01"]:
            assert put(c, kind, day, {"d": day}).status_code == 201
        run = c.post("/api/maintenance/runs", json={})
        assert run.status_code == 201, run.text
        assert run.json()["counts"]["reports_expired"] == len(old)
        left = [r["scheduled_date"] for r in list_all(c, type=kind)]
        assert left == ["2999-01-01"]
