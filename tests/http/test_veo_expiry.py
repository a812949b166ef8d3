"""VEO job TTLs over HTTP: expiry by status and by the vars, and the cron's deletion.

Every test uses its own job ids (and, for lists, its own `video_id` or `status`), so tests
never depend on each other's data; `local.sql` plants or inspects rows directly."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.assertions import assert_error
from tests.support.factories import put_veo_job, unique_id
from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime
from tests.support.veo import DAY_MS, expire, iso_to_ms, list_all, stored_rows


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
