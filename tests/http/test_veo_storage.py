"""VEO job storage over HTTP: size limits before and after compression, and writes that
leave both rows or neither.

Every test uses its own job ids (and, for lists, its own `video_id` or `status`), so tests
never depend on each other's data; `local.sql` plants or inspects rows directly."""

from __future__ import annotations

import base64
import os
import re
import uuid

import httpx

from edgejobs.core import codec
from tests.support.assertions import assert_error
from tests.support.factories import put_veo_job, unique_id
from tests.support.runtime import LocalRuntime
from tests.support.veo import iso_to_ms, stored_rows


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
