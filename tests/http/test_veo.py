"""The VEO job cache over HTTP, through the real runtime (Pyodide + Miniflare's D1).

Every test uses its own job ids (and, for lists, its own `video_id` or `status`), so tests
never depend on each other's data; `local.sql` plants or inspects rows directly.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgejobs.core import codec
from tests.support.assertions import assert_error
from tests.support.factories import d1_stats, put_veo_job, unique_id
from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime
from tests.support.veo_payload import realistic_veo_job

DAY_MS = 86_400_000
METADATA_KEYS = {
    "job_id", "jobId", "status", "video_id", "videoId", "video_url", "videoUrl", "scene_count",
    "sceneCount", "scenes", "characters_found", "charactersFound", "characters", "mode", "voice",
    "has_script", "hasScript", "script", "error",
}  # fmt: skip


# --- helpers -----------------------------------------------------------------------------
def list_all(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.get("/api/veo/jobs", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items


def stored_rows(local: LocalRuntime, job_id: str) -> tuple[int, int]:
    """(veo_jobs rows, veo_job_data rows) for one job id, read straight from D1."""
    jobs = local.sql("SELECT count(*) AS n FROM veo_jobs WHERE job_id = ?", job_id)[0]["n"]
    payloads = local.sql("SELECT count(*) AS n FROM veo_job_data WHERE job_id = ?", job_id)[0]["n"]
    return jobs, payloads


def expire(local: LocalRuntime, *job_ids: str) -> None:
    for job_id in job_ids:
        local.sql("UPDATE veo_jobs SET expires_at = 1 WHERE job_id = ?", job_id)


def iso_to_ms(text: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


# --- round trip ----------------------------------------------------------------------------
JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.integers(min_value=-(10**30), max_value=10**30)  # beyond a double: kept exactly as text
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)
JOB_OBJECTS = st.dictionaries(
    st.text(max_size=12).filter(lambda k: k not in METADATA_KEYS), JSON_VALUES, max_size=6
)


@settings(max_examples=30, deadline=None)
@given(obj=JOB_OBJECTS)
def test_any_json_object_round_trips(client: httpx.Client, obj: dict[str, Any]) -> None:
    job_id = unique_id("rt")
    stored = put_veo_job(client, job_id, obj)
    assert stored.status_code == 201, stored.text
    fetched = client.get(f"/api/veo/jobs/{job_id}")
    assert fetched.status_code == 200
    assert fetched.json() == obj
    assert fetched.headers["etag"] == stored.headers["etag"] == stored.json()["etag"]


def test_realistic_job_round_trips_compressed(client: httpx.Client) -> None:
    job = realistic_veo_job()
    job_id = unique_id("real")
    job["jobId"] = job_id
    stored = put_veo_job(client, job_id, job)
    assert stored.status_code == 201, stored.text
    meta = stored.json()
    assert (meta["scene_count"], meta["characters_found"], meta["has_script"]) == (200, 8, True)
    assert (meta["video_id"], meta["mode"], meta["status"]) == ("dQw4w9WgXcQ", "hybrid", "completed")
    assert meta["size_bytes"] / meta["stored_bytes"] > 3  # gzip pays off on real jobs
    assert client.get(f"/api/veo/jobs/{job_id}").json() == job


# --- PUT -----------------------------------------------------------------------------------
def test_put_creates_201_then_updates_200(client: httpx.Client) -> None:
    job_id = unique_id()
    created = put_veo_job(
        client, job_id, {"jobId": job_id, "status": "processing", "videoId": "v1", "scenes": [{}, {}]}
    )
    assert created.status_code == 201
    meta = created.json()
    assert created.headers["etag"] == meta["etag"]
    assert created.headers["location"] == f"/api/veo/jobs/{job_id}"
    assert meta["job_id"] == job_id and meta["status"] == "processing" and meta["scene_count"] == 2
    assert meta["created_at"] == meta["updated_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", meta["created_at"])

    updated = put_veo_job(client, job_id, {"job_id": job_id, "status": "completed", "error": {"code": 1}})
    assert updated.status_code == 200
    again = updated.json()
    assert again["created_at"] == meta["created_at"]
    assert again["updated_at"] >= meta["updated_at"]
    assert (again["status"], again["video_id"], again["error"]) == ("completed", None, '{"code":1}')
    assert again["etag"] != meta["etag"]


def test_put_of_identical_content_keeps_the_etag(client: httpx.Client) -> None:
    job_id = unique_id()
    first = put_veo_job(client, job_id, {"a": 1, "b": 2})
    second = client.put(
        f"/api/veo/jobs/{job_id}",
        content=b'{ "b": 2,\n "a": 1 }',
        headers={"content-type": "application/json"},
    )
    assert second.status_code == 200
    assert second.headers["etag"] == first.headers["etag"]


@pytest.mark.parametrize(
    "raw_id", ["a%2Fb", "a%00b", "a%20b", "%C3%A9t%C3%A9", "...", "a%25b", "x" * 129, "%C3%28"]
)
def test_bad_job_id_is_400(client: httpx.Client, raw_id: str) -> None:
    for response in (
        client.put(f"/api/veo/jobs/{raw_id}", json={"a": 1}),
        client.get(f"/api/veo/jobs/{raw_id}"),
        client.delete(f"/api/veo/jobs/{raw_id}"),
    ):
        assert assert_error(response, 400, "validation_error")["field"] == "job_id"


def test_percent_encoded_id_is_decoded(client: httpx.Client) -> None:
    job_id = unique_id("colon") + ":part"
    assert client.put(f"/api/veo/jobs/{job_id.replace(':', '%3A')}", json={"x": 1}).status_code == 201
    assert client.get(f"/api/veo/jobs/{job_id}").json() == {"x": 1}


@pytest.mark.parametrize("body", [[], [1, 2], "job", 3, None, True])
def test_body_must_be_a_json_object(client: httpx.Client, local: LocalRuntime, body: Any) -> None:
    job_id = unique_id()
    response = client.put(
        f"/api/veo/jobs/{job_id}", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "validation_error")
    assert stored_rows(local, job_id) == (0, 0)


def test_body_errors(client: httpx.Client) -> None:
    job_id = unique_id()
    url = f"/api/veo/jobs/{job_id}"
    assert_error(
        client.put(url, content=b'{"a": ', headers={"content-type": "application/json"}), 400, "invalid_json"
    )
    assert_error(
        client.put(url, content=b"", headers={"content-type": "application/json"}), 400, "validation_error"
    )
    assert_error(
        client.put(url, content=b'{"a": 1}', headers={"content-type": "text/plain"}),
        415,
        "unsupported_media_type",
    )
    assert (
        assert_error(put_veo_job(client, job_id, {"jobId": "other"}), 400, "validation_error")["field"]
        == "jobId"
    )
    assert (
        assert_error(put_veo_job(client, job_id, {"status": 7}), 400, "validation_error")["field"] == "status"
    )
    assert (
        assert_error(put_veo_job(client, job_id, {"sceneCount": "7"}), 400, "validation_error")["field"]
        == "sceneCount"
    )
    assert client.get(url).status_code == 404  # none of them stored anything


# --- If-Match / If-None-Match ------------------------------------------------------------
def test_stale_if_match_is_412_and_changes_nothing(client: httpx.Client) -> None:
    job_id = unique_id()
    first = put_veo_job(client, job_id, {"status": "processing", "v": 1})
    current = put_veo_job(client, job_id, {"status": "processing", "v": 2}, if_match=first.headers["etag"])
    assert current.status_code == 200

    stale = put_veo_job(client, job_id, {"status": "completed", "v": 3}, if_match=first.headers["etag"])
    assert_error(stale, 412, "precondition_failed")
    fetched = client.get(f"/api/veo/jobs/{job_id}")
    assert fetched.json() == {"status": "processing", "v": 2}
    assert fetched.headers["etag"] == current.headers["etag"]
    listed = list_all(client, status="processing", limit=200)
    assert [j["updated_at"] for j in listed if j["job_id"] == job_id] == [current.json()["updated_at"]]


def test_if_match_accepts_star_lists_and_weak_tags_never_match(client: httpx.Client) -> None:
    job_id = unique_id()
    etag = put_veo_job(client, job_id, {"v": 1}).headers["etag"]
    assert put_veo_job(client, job_id, {"v": 2}, if_match="*").status_code == 200
    etag = client.get(f"/api/veo/jobs/{job_id}").headers["etag"]
    assert put_veo_job(client, job_id, {"v": 3}, if_match=f'"nope", {etag}').status_code == 200
    etag = client.get(f"/api/veo/jobs/{job_id}").headers["etag"]
    assert_error(put_veo_job(client, job_id, {"v": 4}, if_match=f"W/{etag}"), 412, "precondition_failed")
    assert_error(
        put_veo_job(client, unique_id(), {"v": 1}, if_match="*"), 412, "precondition_failed"
    )  # absent


def test_if_none_match_star_is_create_only(client: httpx.Client) -> None:
    job_id = unique_id()
    assert put_veo_job(client, job_id, {"v": 1}, if_none_match="*").status_code == 201
    assert_error(put_veo_job(client, job_id, {"v": 2}, if_none_match="*"), 412, "precondition_failed")
    assert client.get(f"/api/veo/jobs/{job_id}").json() == {"v": 1}
    assert_error(put_veo_job(client, job_id, {"v": 2}, if_none_match='"abc"'), 400, "validation_error")


# --- size limits -----------------------------------------------------------------------------
def test_raw_body_over_10_mib_is_413_and_nothing_stored(client: httpx.Client, local: LocalRuntime) -> None:
    job_id = unique_id("big")
    body = b'{"x": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    response = client.put(
        f"/api/veo/jobs/{job_id}", content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")
    assert stored_rows(local, job_id) == (0, 0)


def test_object_over_a_d1_row_after_compression_is_413_and_nothing_stored(
    client: httpx.Client, local: LocalRuntime
) -> None:
    job_id = unique_id("noise")
    noise = base64.b64encode(
        os.urandom(2_250_000)
    ).decode()  # 3 MB of text that gzip cannot shrink below 2 MB
    response = put_veo_job(client, job_id, {"status": "completed", "frames": noise})
    error = assert_error(response, 413, "payload_too_large")
    sizes = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]{6,}", error["message"])]
    assert codec.MAX_STORED_BYTES in sizes  # the limit …
    assert any(size > codec.MAX_STORED_BYTES for size in sizes)  # … and the compressed size
    assert stored_rows(local, job_id) == (0, 0)


def test_object_over_a_d1_row_raw_but_not_compressed_is_stored(client: httpx.Client) -> None:
    job_id = unique_id("roomy")
    obj = {
        "scenes": [
            {"prompt": f"slow dolly shot {i % 50} across a neon street", "n": i} for i in range(50_000)
        ]
    }
    stored = put_veo_job(client, job_id, obj)
    assert stored.status_code == 201, stored.text
    assert stored.json()["size_bytes"] > codec.D1_MAX_ROW_BYTES > stored.json()["stored_bytes"]
    assert client.get(f"/api/veo/jobs/{job_id}").json() == obj


# --- GET / DELETE one ----------------------------------------------------------------------------
def test_single_job_routes_read_at_most_three_rows(client: httpx.Client) -> None:
    job_id = unique_id()
    responses = [
        put_veo_job(client, job_id, {"v": 1}),
        put_veo_job(client, job_id, {"v": 2}),
        client.get(f"/api/veo/jobs/{job_id}"),
    ]
    responses.append(put_veo_job(client, job_id, {"v": 3}, if_match=responses[-1].headers["etag"]))
    responses.append(client.delete(f"/api/veo/jobs/{job_id}"))
    assert [r.status_code for r in responses] == [201, 200, 200, 200, 204]
    assert all(d1_stats(r)["rows_read"] <= 3 for r in responses), [r.headers["x-d1-stats"] for r in responses]


def test_get_unknown_job_is_404(client: httpx.Client) -> None:
    assert_error(client.get(f"/api/veo/jobs/{unique_id()}"), 404, "not_found")


def test_delete_one(client: httpx.Client, local: LocalRuntime) -> None:
    job_id = unique_id()
    etag = put_veo_job(client, job_id, {"v": 1}).headers["etag"]
    assert_error(
        client.delete(f"/api/veo/jobs/{job_id}", headers={"if-match": '"stale"'}), 412, "precondition_failed"
    )
    assert client.get(f"/api/veo/jobs/{job_id}").status_code == 200
    deleted = client.delete(f"/api/veo/jobs/{job_id}", headers={"if-match": etag})
    assert deleted.status_code == 204 and deleted.content == b""
    assert stored_rows(local, job_id) == (0, 0)  # the payload went with it
    assert_error(client.delete(f"/api/veo/jobs/{job_id}"), 404, "not_found")
    assert_error(client.get(f"/api/veo/jobs/{job_id}"), 404, "not_found")


# --- list --------------------------------------------------------------------------------
def test_list_newest_first_with_filters(client: httpx.Client) -> None:
    video, other = unique_id("vid"), unique_id("vid")
    jobs = [
        (unique_id(), {"videoId": video, "status": "completed"}),
        (unique_id(), {"video_id": video, "status": "failed"}),
        (unique_id(), {"videoId": other, "status": "failed"}),
        (unique_id(), {"videoId": video, "status": "failed"}),
    ]
    for job_id, body in jobs:
        assert put_veo_job(client, job_id, body).status_code == 201
    listed = list_all(client, video_id=video)
    assert [j["job_id"] for j in listed] == [jobs[3][0], jobs[1][0], jobs[0][0]]
    assert [j["job_id"] for j in list_all(client, video_id=video, status="failed")] == [
        jobs[3][0],
        jobs[1][0],
    ]
    everything = [j["job_id"] for j in list_all(client, limit=200)]
    assert everything.index(jobs[3][0]) < everything.index(jobs[2][0]) < everything.index(jobs[0][0])
    assert set(listed[0]) == set(put_veo_job(client, unique_id(), {}).json())  # list items = PUT metadata


def test_list_items_are_the_metadata_put_renders(client: httpx.Client) -> None:
    """List pages are rendered by SQLite on D1, a PUT's answer in Python: the same JSON values."""
    video = unique_id("vid")
    bodies = [
        {"videoId": video, "status": "failed", "error": {"message": 'bad "input" \\ 💥\n\u0001'}},
        {"video_id": video, "status": "completed", "videoUrl": "https://cdn.example/名前.mp4",
         "scenes": [1, 2, 3], "characters": ["a"], "mode": "ü", "voice": None, "script": "hello"},
    ]  # fmt: skip
    answers = []
    for body in bodies:
        response = put_veo_job(client, unique_id(), body)
        assert response.status_code == 201, response.text
        answers.append(response.json())
    listed = list_all(client, video_id=video)
    assert listed == answers[::-1]
    assert [list(item) for item in listed] == [list(answer) for answer in answers[::-1]]  # key order
    assert listed[0]["has_script"] is True and listed[1]["has_script"] is False


def test_list_page_reads_about_what_it_returns(client: httpx.Client, local: LocalRuntime) -> None:
    status = unique_id("st")  # a status of its own, so the status index holds only this test's jobs
    video = unique_id("vid")
    ids = [unique_id() for _ in range(60)]
    for job_id in ids:
        put_veo_job(client, job_id, {"status": status, "videoId": video})
    expire(local, *ids[10:15])  # five expired rows interleaved among the newest
    for params in ({"status": status}, {"video_id": video}, {"status": status, "video_id": video}):
        page = client.get("/api/veo/jobs", params={**params, "limit": 50})
        assert len(page.json()["items"]) == 50
        assert d1_stats(page)["rows_read"] <= 51 + 5, page.headers["x-d1-stats"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "x"},
        {"cursor": "garbage"},
        {"status": ""},
        {"video_id": "v" * 300},
    ],
)
def test_list_rejects_bad_parameters(client: httpx.Client, params: dict[str, Any]) -> None:
    assert_error(client.get("/api/veo/jobs", params=params), 400, "validation_error")


def test_pagination_is_stable_under_inserts(client: httpx.Client) -> None:
    video = unique_id("pages")
    initial = [unique_id("p") for _ in range(120)]
    for job_id in initial:
        assert put_veo_job(client, job_id, {"videoId": video}).status_code == 201
    seen: list[str] = []
    times: list[str] = []
    cursor = None
    while True:
        params = {"video_id": video, "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/veo/jobs", params=params).json()
        assert len(page["items"]) <= 7
        seen += [item["job_id"] for item in page["items"]]
        times += [item["updated_at"] for item in page["items"]]
        for _ in range(2):  # other writers keep adding jobs between pages
            put_veo_job(client, unique_id("late"), {"videoId": video})
        cursor = page["next_cursor"]
        if not cursor:
            break
    counts = Counter(seen)
    assert all(counts[job_id] == 1 for job_id in initial), [j for j in initial if counts[j] != 1]
    assert times == sorted(times, reverse=True)


def test_pagination_breaks_ties_by_job_id(client: httpx.Client, local: LocalRuntime) -> None:
    video = unique_id("ties")
    ids = [f"{unique_id('tie')}-{n:02d}" for n in range(15)]
    for job_id in ids:
        put_veo_job(client, job_id, {"videoId": video})
    local.sql("UPDATE veo_jobs SET updated_at = 1700000000000 + 10 * 86400000 WHERE video_id = ?", video)
    walked = [item["job_id"] for item in list_all(client, video_id=video, limit=4)]
    assert walked == sorted(ids, reverse=True)


# --- delete all ----------------------------------------------------------------------------------
def test_delete_all_needs_confirm(client: httpx.Client) -> None:
    job_id = unique_id()
    put_veo_job(client, job_id, {"v": 1})
    assert assert_error(client.delete("/api/veo/jobs"), 400, "validation_error")["field"] == "confirm"
    assert_error(client.delete("/api/veo/jobs", params={"confirm": "yes"}), 400, "validation_error")
    assert client.get(f"/api/veo/jobs/{job_id}").status_code == 200


def test_delete_all_with_confirm_deletes_everything(client: httpx.Client, local: LocalRuntime) -> None:
    put_veo_job(client, unique_id(), {"v": 1})
    live = len(list_all(client, limit=200))
    expired = unique_id()
    put_veo_job(client, expired, {"v": 2})
    expire(local, expired)
    response = client.delete("/api/veo/jobs", params={"confirm": "all"})
    assert response.status_code == 200
    assert response.json() == {"deleted": live}  # the jobs a client could see
    assert list_all(client) == []
    assert local.sql("SELECT count(*) AS n FROM veo_job_data")[0]["n"] == 0
    assert local.sql("SELECT count(*) AS n FROM veo_jobs")[0]["n"] == 0


# --- TTL and expiry ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "days"), [("completed", 7), ("failed", 2), ("partial", 2), ("rendering", 7)]
)
def test_expires_at_follows_the_status(client: httpx.Client, status: str, days: int) -> None:
    meta = put_veo_job(client, unique_id(), {"status": status}).json()
    assert iso_to_ms(meta["expires_at"]) - iso_to_ms(meta["updated_at"]) == days * DAY_MS


def test_expired_job_is_invisible_and_a_put_recreates_it(client: httpx.Client, local: LocalRuntime) -> None:
    video = unique_id("exp")
    job_id = unique_id()
    created = put_veo_job(client, job_id, {"videoId": video, "status": "failed", "v": 1}).json()
    expire(local, job_id)
    assert_error(client.get(f"/api/veo/jobs/{job_id}"), 404, "not_found")
    assert list_all(client, video_id=video) == []
    assert job_id not in [j["job_id"] for j in list_all(client, status="failed", limit=200)]
    assert_error(put_veo_job(client, job_id, {"v": 2}, if_match=created["etag"]), 412, "precondition_failed")
    assert_error(client.delete(f"/api/veo/jobs/{job_id}"), 404, "not_found")
    time.sleep(0.01)
    revived = put_veo_job(client, job_id, {"videoId": video, "v": 3})
    assert revived.status_code == 201
    assert revived.json()["created_at"] > created["created_at"]
    assert client.get(f"/api/veo/jobs/{job_id}").json() == {"videoId": video, "v": 3}


TTL_VARS = {
    "VEO_TTL_COMPLETED_SECONDS": "300",
    "VEO_TTL_FAILED_SECONDS": "1",
    "VEO_TTL_PARTIAL_SECONDS": "120",
    "VEO_TTL_DEFAULT_SECONDS": "600",
}


@pytest.fixture(scope="module")
def ttl_client(
    runtime: LocalRuntime | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """A runtime of its own with short TTL vars."""
    if runtime is None:
        pytest.skip("starts its own local runtime with other TTL vars")
    with (
        local_runtime(vars={"API_TOKEN": TEST_TOKEN, **TTL_VARS}) as rt,
        httpx.Client(base_url=rt.url, headers={"authorization": f"Bearer {TEST_TOKEN}"}, timeout=60) as c,
    ):
        yield c


def test_ttls_come_from_the_vars_and_expiry_hides_at_once(ttl_client: httpx.Client) -> None:
    video = unique_id("ttl")
    expected = {"completed": 300, "failed": 1, "partial": 120, "queued": 600}
    for status, seconds in expected.items():
        meta = put_veo_job(ttl_client, f"{video}-{status}", {"status": status, "videoId": video}).json()
        assert iso_to_ms(meta["expires_at"]) - iso_to_ms(meta["updated_at"]) == seconds * 1000
    time.sleep(1.1)  # the failed job's TTL passes; no cron has run
    assert_error(ttl_client.get(f"/api/veo/jobs/{video}-failed"), 404, "not_found")
    assert sorted(j["status"] for j in list_all(ttl_client, video_id=video)) == [
        "completed",
        "partial",
        "queued",
    ]


def test_cron_deletes_expired_jobs_and_their_payloads(
    client: httpx.Client, local: LocalRuntime, base_url: str
) -> None:
    keep, gone = unique_id("keep"), [unique_id("gone") for _ in range(3)]
    for job_id in (keep, *gone):
        put_veo_job(client, job_id, {"v": job_id})
    expire(local, *gone)
    response = httpx.get(f"{base_url}/cdn-cgi/handler/scheduled", params={"cron": "*/5 * * * *"}, timeout=120)
    assert response.status_code == 200, response.text
    assert [stored_rows(local, job_id) for job_id in gone] == [(0, 0)] * 3
    assert stored_rows(local, keep) == (1, 1)
    run = client.get("/api/maintenance/runs", params={"limit": 1}).json()["items"][0]
    assert run["counts"]["veo_jobs_expired"] >= 3 and run["error"] is None


# --- atomicity ------------------------------------------------------------------------------
def _failing_trigger(local: LocalRuntime, name: str, event: str, job_id: str) -> None:
    # Fails the batch's *second* statement (the payload write) for this job only.
    row = "OLD" if event == "UPDATE" else "NEW"
    local.sql(
        f"CREATE TRIGGER {name} BEFORE {event} ON veo_job_data WHEN {row}.job_id = '{job_id}' "
        "BEGIN SELECT RAISE(ABORT, 'forced failure for a test'); END"
    )


def test_failed_payload_write_on_create_leaves_neither_row(client: httpx.Client, local: LocalRuntime) -> None:
    job_id = unique_id("atomic")
    trigger = "veo_test_fail_" + uuid.uuid4().hex[:8]
    _failing_trigger(local, trigger, "INSERT", job_id)
    try:
        response = put_veo_job(client, job_id, {"status": "completed"})
    finally:
        local.sql(f"DROP TRIGGER {trigger}")
    assert_error(response, 500, "internal_error")
    assert stored_rows(local, job_id) == (0, 0)
    assert put_veo_job(client, job_id, {"status": "completed"}).status_code == 201  # and it works again


def test_failed_payload_write_on_update_keeps_the_old_job(client: httpx.Client, local: LocalRuntime) -> None:
    job_id = unique_id("atomic")
    first = put_veo_job(client, job_id, {"status": "processing", "v": 1})
    trigger = "veo_test_fail_" + uuid.uuid4().hex[:8]
    _failing_trigger(local, trigger, "UPDATE", job_id)
    try:
        response = put_veo_job(client, job_id, {"status": "completed", "v": 2})
    finally:
        local.sql(f"DROP TRIGGER {trigger}")
    assert_error(response, 500, "internal_error")
    fetched = client.get(f"/api/veo/jobs/{job_id}")
    assert fetched.json() == {"status": "processing", "v": 1}
    assert fetched.headers["etag"] == first.headers["etag"]
    row = local.sql("SELECT status, etag, updated_at FROM veo_jobs WHERE job_id = ?", job_id)[0]
    assert (row["status"], row["etag"]) == ("processing", first.headers["etag"])
    assert row["updated_at"] == iso_to_ms(first.json()["updated_at"])


# --- OpenAPI -------------------------------------------------------------------------------------
def test_openapi_documents_the_routes(anon: httpx.Client) -> None:
    paths = anon.get("/openapi.json").json()["paths"]
    one, many = paths["/api/veo/jobs/{job_id}"], paths["/api/veo/jobs"]
    assert {"200", "201", "400", "412", "413", "415"} <= set(one["put"]["responses"])
    assert {"200", "404"} <= set(one["get"]["responses"]) and "etag" in one["get"]["responses"]["200"][
        "headers"
    ]
    assert {"204", "404", "412"} <= set(one["delete"]["responses"])
    assert {"200", "400"} <= set(many["get"]["responses"]) and {"200", "400"} <= set(
        many["delete"]["responses"]
    )


def test_migration_has_only_the_intended_indexes(local: LocalRuntime) -> None:
    names = {
        r["name"]
        for r in local.sql("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'veo_job%'")
    }
    expected = {"veo_jobs_by_updated", "veo_jobs_by_status", "veo_jobs_by_video", "veo_jobs_by_expiry"}
    assert {n for n in names if not n.startswith("sqlite_autoindex")} == expected
