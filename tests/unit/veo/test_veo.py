"""VEO job cache logic under CPython: ids, metadata, TTL, preconditions, query plans, and
the write batch against SQLite through the D1 module (tests/support/fake_d1.py)."""

import json
from typing import Any

import pytest

from edgejobs.core.config import DAY, Config
from edgejobs.core.errors import ValidationError
from edgejobs.core.http import HttpRequest, HttpResponse
from edgejobs.veo import model as veo_model
from edgejobs.veo.model import (
    Precondition,
    check_body_job_id,
    extract_metadata,
    parse_job_id,
    parse_precondition,
)
from tests.support.client import InProcessClient
from tests.support.fake_d1 import FakeD1


# --- job ids ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc", "abc"),
        ("veo_1767225600000_k3x9", "veo_1767225600000_k3x9"),
        ("a.b:c-d_e", "a.b:c-d_e"),
        ("job%3A42", "job:42"),
        ("x" * 128, "x" * 128),
        ("...a", "...a"),
    ],
)
def test_valid_job_ids_are_decoded(raw: str, expected: str) -> None:
    assert parse_job_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "x" * 129,
        "a%2Fb",
        "a%00b",
        "%00",
        "..",
        ".",
        "%2E%2E",
        "a b",
        "a%20b",
        "é",
        "%C3%A9",
        "a+b",
        "%zz",
        "%C3%28",
        "a'b",
    ],
)
def test_invalid_job_ids_are_400(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_job_id(raw)
    assert caught.value.field == "job_id"


def test_body_job_id_must_match_the_path() -> None:
    check_body_job_id("a", {"jobId": "a", "job_id": "a"})
    check_body_job_id("a", {"jobId": None})
    for body in ({"jobId": "b"}, {"job_id": "b"}, {"job_id": 1}, {"jobId": "a", "job_id": "A"}):
        with pytest.raises(ValidationError):
            check_body_job_id("a", body)


# --- metadata ------------------------------------------------------------------------------
def test_metadata_from_camel_case() -> None:
    meta = extract_metadata(
        {
            "status": "completed",
            "videoId": "dQw4w9WgXcQ",
            "videoUrl": "https://youtu.be/dQw4w9WgXcQ",
            "sceneCount": 12,
            "charactersFound": 3,
            "mode": "hybrid",
            "voice": "en-US",
            "hasScript": True,
            "error": "boom",
        }
    )
    assert meta == veo_model.JobMetadata(
        "completed", "dQw4w9WgXcQ", "https://youtu.be/dQw4w9WgXcQ", 12, 3, "hybrid", "en-US", True, "boom"
    )


def test_metadata_from_snake_case() -> None:
    meta = extract_metadata(
        {"video_id": "v", "video_url": "u", "scene_count": 0, "characters_found": 2, "has_script": False}
    )
    assert (meta.video_id, meta.video_url, meta.scene_count, meta.characters_found, meta.has_script) == (
        "v",
        "u",
        0,
        2,
        False,
    )


def test_metadata_defaults_and_derived_counts() -> None:
    meta = extract_metadata({"scenes": [{}, {}, {}], "characters": [{"name": "A"}], "script": "Once upon"})
    assert meta.status == "pending"
    assert (meta.scene_count, meta.characters_found, meta.has_script) == (3, 1, True)
    empty = extract_metadata({"scenes": {"not": "a list"}, "script": "", "videoId": "  ", "error": None})
    assert (empty.scene_count, empty.characters_found, empty.has_script) == (None, None, False)
    assert empty.video_id is None and empty.error is None


def test_explicit_counts_win_over_list_lengths() -> None:
    meta = extract_metadata({"sceneCount": 200, "scenes": [{}], "characters_found": 0, "characters": [{}]})
    assert (meta.scene_count, meta.characters_found) == (200, 0)


def test_error_objects_are_stored_as_json_and_long_errors_capped() -> None:
    meta = extract_metadata({"error": {"message": "quota", "code": 429}})
    assert meta.error == '{"code":429,"message":"quota"}'
    long = extract_metadata({"error": "x" * 10_000})
    assert long.error is not None and len(long.error) == veo_model.MAX_ERROR_CHARS


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": 1}, "status"),
        ({"status": "x" * 65}, "status"),
        ({"videoId": 42}, "videoId"),
        ({"video_url": ["u"]}, "video_url"),
        ({"sceneCount": True}, "sceneCount"),
        ({"sceneCount": -1}, "sceneCount"),
        ({"sceneCount": 1.0}, "sceneCount"),
        ({"scene_count": 2**53}, "scene_count"),
        ({"charactersFound": "3"}, "charactersFound"),
        ({"hasScript": 1}, "hasScript"),
        ({"mode": {"a": 1}}, "mode"),
        ({"voice": "a\x00b"}, "voice"),
        ({"status": "\ud800"}, "status"),
        ({"videoId": "a", "video_id": "b"}, "videoId"),
    ],
)
def test_bad_metadata_is_400_naming_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        extract_metadata(body)
    assert caught.value.field == field
    assert field in caught.value.message


def test_same_field_spelled_both_ways_with_one_value_is_fine() -> None:
    assert extract_metadata({"videoId": "a", "video_id": "a"}).video_id == "a"


# --- TTL -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "days"),
    [("completed", 7), ("failed", 2), ("partial", 2), ("pending", 7), ("processing", 7), ("Completed", 7)],
)
def test_default_ttl_by_status(status: str, days: int) -> None:
    assert veo_model.expires_at(status, 1_000, Config()) == 1_000 + days * DAY * 1000


def test_ttl_follows_the_vars() -> None:
    config = Config.from_env(
        {
            "VEO_TTL_COMPLETED_SECONDS": "10",
            "VEO_TTL_FAILED_SECONDS": "20",
            "VEO_TTL_PARTIAL_SECONDS": "30",
            "VEO_TTL_DEFAULT_SECONDS": "40",
        }.get
    )
    assert [veo_model.ttl_seconds(s, config) for s in ("completed", "failed", "partial", "queued")] == [
        10,
        20,
        30,
        40,
    ]


# --- preconditions -------------------------------------------------------------------------
def _request(**headers: str) -> HttpRequest:
    return HttpRequest("PUT", "http://x/api/veo/jobs/a", {k.replace("_", "-"): v for k, v in headers.items()})


def test_preconditions_parse() -> None:
    assert parse_precondition(_request(), allow_absent=True) == Precondition()
    assert parse_precondition(_request(if_match="*"), allow_absent=True) == Precondition("match", None)
    assert parse_precondition(_request(if_match='"a", W/"b", c'), allow_absent=True) == Precondition(
        "match", ('"a"', 'W/"b"', '"c"')
    )
    assert parse_precondition(_request(if_none_match="*"), allow_absent=True) == Precondition("absent")


@pytest.mark.parametrize(
    ("headers", "allow_absent"),
    [
        ({"if_none_match": '"a"'}, True),
        ({"if_none_match": "*"}, False),
        ({"if_match": "*", "if_none_match": "*"}, True),
        ({"if_match": ""}, True),
        ({"if_match": '"1","2","3","4","5"'}, True),
    ],
)
def test_unsupported_preconditions_are_400(headers: dict[str, str], allow_absent: bool) -> None:
    with pytest.raises(ValidationError):
        parse_precondition(_request(**headers), allow_absent=allow_absent)


def test_match_params_fill_the_four_etag_slots() -> None:
    assert Precondition().match_params() == [None] * 4
    assert Precondition("match", None).match_params() == ["*", None, None, None]
    assert Precondition("match", ('"a"', '"b"')).match_params() == ['"a"', '"b"', None, None]


# Query plans of every VEO statement: tests/unit/test_query_plans.py (and, on D1's own engine,
# tests/integration/test_query_plans_d1.py).


# --- the write batch through the D1 module ---------------------------------------------------
@pytest.fixture
def fake() -> FakeD1:
    return FakeD1.migrated()


async def call(fake: FakeD1, method: str, path: str, body: Any = None, **headers: str) -> HttpResponse:
    return await InProcessClient(fake).request(method, path, body, **headers)


def _counts(fake: FakeD1) -> tuple[int, int]:
    jobs = fake.conn.execute("SELECT count(*) FROM veo_jobs").fetchone()[0]
    payloads = fake.conn.execute("SELECT count(*) FROM veo_job_data").fetchone()[0]
    return jobs, payloads


async def test_put_creates_then_updates(fake: FakeD1) -> None:
    created = await call(fake, "PUT", "/api/veo/jobs/j1", {"status": "failed"})
    assert created.status == 201 and created.headers["location"] == "/api/veo/jobs/j1"
    updated = await call(fake, "PUT", "/api/veo/jobs/j1", {"status": "completed"})
    assert updated.status == 200
    assert json.loads(updated.body)["created_at"] == json.loads(created.body)["created_at"]
    got = await call(fake, "GET", "/api/veo/jobs/j1")
    assert json.loads(got.body) == {"status": "completed"} and got.headers["etag"] == updated.headers["etag"]


async def test_a_failing_payload_write_leaves_neither_row(fake: FakeD1) -> None:
    fake.conn.execute(
        "CREATE TRIGGER fail_payload BEFORE INSERT ON veo_job_data "
        "WHEN NEW.job_id = 'doomed' BEGIN SELECT RAISE(ABORT, 'forced failure'); END"
    )
    response = await call(fake, "PUT", "/api/veo/jobs/doomed", {"status": "completed"})
    assert response.status >= 500
    assert _counts(fake) == (0, 0)


async def test_a_failing_payload_update_keeps_the_old_job(fake: FakeD1) -> None:
    first = await call(fake, "PUT", "/api/veo/jobs/j2", {"status": "processing", "v": 1})
    fake.conn.execute(
        "CREATE TRIGGER fail_payload_update BEFORE UPDATE ON veo_job_data "
        "BEGIN SELECT RAISE(ABORT, 'forced failure'); END"
    )
    response = await call(fake, "PUT", "/api/veo/jobs/j2", {"status": "completed", "v": 2})
    assert response.status >= 500
    fake.conn.execute("DROP TRIGGER fail_payload_update")
    got = await call(fake, "GET", "/api/veo/jobs/j2")
    assert json.loads(got.body) == {"status": "processing", "v": 1}
    assert got.headers["etag"] == first.headers["etag"]
    row = fake.conn.execute("SELECT status, revision FROM veo_jobs WHERE job_id = 'j2'").fetchone()
    assert tuple(row) == ("processing", 1)


async def test_stale_if_match_writes_nothing(fake: FakeD1) -> None:
    first = await call(fake, "PUT", "/api/veo/jobs/j3", {"v": 1})
    await call(fake, "PUT", "/api/veo/jobs/j3", {"v": 2}, if_match=first.headers["etag"])
    stale = await call(fake, "PUT", "/api/veo/jobs/j3", {"v": 3}, if_match=first.headers["etag"])
    assert stale.status == 412
    assert json.loads((await call(fake, "GET", "/api/veo/jobs/j3")).body) == {"v": 2}


async def test_put_onto_an_expired_job_creates_it_afresh(fake: FakeD1) -> None:
    await call(fake, "PUT", "/api/veo/jobs/j4", {"v": 1})
    fake.conn.execute("UPDATE veo_jobs SET expires_at = 1, created_at = 1 WHERE job_id = 'j4'")
    assert (await call(fake, "GET", "/api/veo/jobs/j4")).status == 404
    assert (await call(fake, "PUT", "/api/veo/jobs/j4", {"v": 1}, if_match="*")).status == 412
    revived = await call(fake, "PUT", "/api/veo/jobs/j4", {"v": 2}, if_none_match="*")
    assert revived.status == 201
    assert json.loads(revived.body)["created_at"] != "1970-01-01T00:00:00.001Z"


async def test_delete_all_counts_live_jobs_only(fake: FakeD1) -> None:
    for job_id in ("d1", "d2", "d3"):
        await call(fake, "PUT", f"/api/veo/jobs/{job_id}", {"v": job_id})
    fake.conn.execute("UPDATE veo_jobs SET expires_at = 1 WHERE job_id = 'd3'")
    response = await call(fake, "DELETE", "/api/veo/jobs?confirm=all")
    assert json.loads(response.body) == {"deleted": 2, "more": False}
    assert _counts(fake) == (0, 0)


async def test_delete_all_deletes_a_bounded_chunk_per_call_live_jobs_first(fake: FakeD1) -> None:
    """At most `limit` jobs a call; `more` until none is left. Live jobs go first (the ones a
    client sees), then expired ones, which are removed but not counted."""
    for job_id in ("c1", "c2", "c3", "c4", "c5"):
        await call(fake, "PUT", f"/api/veo/jobs/{job_id}", {"v": job_id})
    fake.conn.execute("UPDATE veo_jobs SET expires_at = 1 WHERE job_id IN ('c1', 'c2')")
    answers = []
    while not answers or answers[-1]["more"]:
        answers.append(json.loads((await call(fake, "DELETE", "/api/veo/jobs?confirm=all&limit=2")).body))
        assert len(answers) <= 3
    assert answers == [
        {"deleted": 2, "more": True},
        {"deleted": 1, "more": True},
        {"deleted": 0, "more": False},
    ]
    assert _counts(fake) == (0, 0)


@pytest.mark.parametrize("query", ["limit=0", "limit=10001", "limit=x", "limit=-1"])
async def test_delete_all_refuses_a_limit_out_of_range(fake: FakeD1, query: str) -> None:
    await call(fake, "PUT", "/api/veo/jobs/kept", {"v": 1})
    response = await call(fake, "DELETE", f"/api/veo/jobs?confirm=all&{query}")
    assert response.status == 400 and json.loads(response.body)["error"]["field"] == "limit"
    assert _counts(fake) == (1, 1)
