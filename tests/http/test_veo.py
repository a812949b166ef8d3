"""The VEO job cache over HTTP, through the real runtime (Pyodide + Miniflare's D1): round
trips, writes, preconditions, single-job reads and deletes (lists: test_veo_lists.py; TTLs
and expiry: test_veo_expiry.py; size limits and atomic writes: test_veo_storage.py).

Every test uses its own job ids (and, for lists, its own `video_id` or `status`), so tests
never depend on each other's data; `local.sql` plants or inspects rows directly."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.assertions import assert_error
from tests.support.factories import d1_stats, put_veo_job, unique_id
from tests.support.runtime import LocalRuntime
from tests.support.veo import METADATA_KEYS, list_all, stored_rows
from tests.support.veo_payload import realistic_veo_job

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
    expected |= {"veo_jobs_by_user", "veo_jobs_by_user_status"}  # one owner's list (user tokens)
    assert {n for n in names if not n.startswith("sqlite_autoindex")} == expected
