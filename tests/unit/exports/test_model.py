"""Export job request validation, list queries, idempotency hashing and ids (pure logic)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from edgejobs.core.errors import NotFound, ValidationError
from edgejobs.core.http import HttpRequest
from edgejobs.core.ids import UUID_PATTERN, uuid7, uuid7_ms
from edgejobs.exports import sql as export_sql
from edgejobs.exports.bodies import CANCEL, CLAIM, COMPLETE, CREATE, FAIL, HEARTBEAT, NewJob
from edgejobs.exports.model import (
    DEFAULT_TYPES,
    MAX_PARAMS_BYTES,
    ListFilter,
    check_type,
    parse_idempotency_key,
    parse_job_id,
    parse_job_types,
    parse_list_query,
)

parse_claim, parse_heartbeat, parse_fail = CLAIM.parse, HEARTBEAT.parse, FAIL.parse


def parse_create(body: dict) -> NewJob:
    return NewJob(**CREATE.parse(body))


VALID = {"project_id": 7, "type": "overlay", "input_video_key": "in/a.mp4"}


def with_(**changes: Any) -> dict[str, Any]:
    return {**VALID, **changes}


def test_create_applies_defaults() -> None:
    job = parse_create(VALID)
    assert (job.project_id, job.type, job.input_video_key, job.params, job.max_retries) == (
        7,
        "overlay",
        "in/a.mp4",
        "{}",
        3,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (with_(project_id=0), "project_id"),
        (with_(project_id=True), "project_id"),
        (with_(project_id="7"), "project_id"),
        (with_(project_id=2**53), "project_id"),
        (with_(type="Render!"), "type"),
        (with_(priority=1_000_001), "priority"),
        (with_(priority=1.5), "priority"),
        (with_(start_after="tomorrow"), "start_after"),
        (with_(start_after="2026-12-01T09:00:00"), "start_after"),
        (with_(start_after=1764579600), "start_after"),
        (with_(retry_base_seconds=0), "retry_base_seconds"),
        (with_(retry_cap_seconds=604_801), "retry_cap_seconds"),
        (with_(input_video_key=""), "input_video_key"),
        (with_(input_video_key="k" * 1025), "input_video_key"),
        (with_(input_video_key=5), "input_video_key"),
        (with_(params=[1]), "params"),
        (with_(params="{}"), "params"),
        (with_(params={"s": "\ud800"}), "params"),
        (with_(max_retries=11), "max_retries"),
        (with_(max_retries=-1), "max_retries"),
        (with_(max_retries=1.0), "max_retries"),
        ({"type": "overlay", "input_video_key": "k"}, "project_id"),
    ],
)
def test_create_rejects_bad_fields_by_name(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_create(body)
    assert caught.value.field == field


def test_params_limit_is_64_kib_of_compact_json() -> None:
    overhead = len(json.dumps({"p": ""}, separators=(",", ":")))
    at_limit = {"p": "x" * (MAX_PARAMS_BYTES - overhead)}
    assert len(parse_create(with_(params=at_limit)).params) == MAX_PARAMS_BYTES
    with pytest.raises(ValidationError, match="limit"):
        parse_create(with_(params={"p": "x" * (MAX_PARAMS_BYTES - overhead + 1)}))
    multibyte = {"p": "é" * ((MAX_PARAMS_BYTES - overhead) // 2 + 1)}  # counted in UTF-8 bytes
    with pytest.raises(ValidationError):
        parse_create(with_(params=multibyte))


def test_same_request_same_hash_whatever_the_spelling() -> None:
    a = parse_create(with_(params={"a": 1, "b": [1, 2]}))
    b = parse_create(with_(params={"b": [1, 2], "a": 1}, max_retries=3, input_video_key=" in/a.mp4 "))
    assert a.request_hash() == b.request_hash()
    assert a.request_hash() != parse_create(with_(params={"a": 2, "b": [1, 2]})).request_hash()
    assert a.request_hash() != parse_create(with_(params={"a": 1, "b": [1, 2]}, max_retries=4)).request_hash()


def test_claim_defaults_and_bounds() -> None:
    assert parse_claim({"runner_id": "r"}) == {
        "runner_id": "r",
        "types": None,
        "lease_seconds": 300,
        "max_jobs": None,
    }
    claim = parse_claim({"runner_id": "r", "types": ["overlay", "framing", "overlay"], "lease_seconds": 10})
    assert claim["types"] == '["framing", "overlay"]'
    assert claim["lease_seconds"] == 10
    for bad in (
        {"runner_id": "r", "lease_seconds": 9},
        {"runner_id": "r", "lease_seconds": 86_401},
        {"runner_id": "r", "types": []},
        {"runner_id": "r", "types": "overlay"},
        {"runner_id": "r", "types": ["Render"]},  # (configured types: checked by the handler)
        {"runner_id": ""},
        {},
    ):
        with pytest.raises(ValidationError):
            parse_claim(bad)


def test_runner_bodies() -> None:
    assert parse_heartbeat({"runner_id": "r"}) == {
        "runner_id": "r",
        "lease_id": None,
        "progress": None,
        "runpod_job_id": None,
    }
    assert parse_heartbeat({"runner_id": "r", "lease_id": "l-1"})["lease_id"] == "l-1"
    with pytest.raises(ValidationError):
        parse_heartbeat({"runner_id": "r", "lease_id": 7})
    with pytest.raises(ValidationError):
        parse_heartbeat({"runner_id": "r", "progress": 101})
    with pytest.raises(ValidationError):
        parse_heartbeat({"runner_id": "r", "progress": False})
    assert parse_fail({"runner_id": "r", "error": "oom"})["retryable"] == 1
    assert parse_fail({"runner_id": "r", "error": "oom", "retryable": False})["retryable"] == 0
    with pytest.raises(ValidationError):
        parse_fail({"runner_id": "r", "error": "oom", "retryable": 0})


def test_an_optional_field_sent_as_null_is_left_out() -> None:
    """One rule for every optional body field (and the OpenAPI document says so)."""
    assert parse_create(with_(params=None, max_retries=None)) == parse_create(VALID)
    assert parse_claim({"runner_id": "r", "types": None, "lease_seconds": None}) == parse_claim(
        {"runner_id": "r"}
    )
    assert parse_heartbeat({"runner_id": "r", "progress": None, "runpod_job_id": None}) == parse_heartbeat(
        {"runner_id": "r"}
    )
    assert parse_fail({"runner_id": "r", "error": "e", "retryable": None}) == parse_fail(
        {"runner_id": "r", "error": "e"}
    )
    for required in ({"runner_id": None}, with_(project_id=None), with_(type=None)):
        with pytest.raises(ValidationError):
            parse_create(required) if "project_id" in required else parse_claim(required)


def test_path_ids_must_be_uuids() -> None:
    job_id = uuid7(1_800_000_000_000)
    assert parse_job_id(job_id.upper()) == job_id
    for bad in ("claim", "1234", job_id + "0", "%ZZ"):
        with pytest.raises((NotFound, ValidationError)):
            parse_job_id(bad)


def test_idempotency_key_header() -> None:
    assert parse_idempotency_key(HttpRequest("POST", "/", {})) is None
    assert parse_idempotency_key(HttpRequest("POST", "/", {"idempotency-key": "order-1:a"})) == "order-1:a"
    for bad in ("", "has space", "x" * 256, "é"):
        with pytest.raises(ValidationError):
            parse_idempotency_key(HttpRequest("POST", "/", {"idempotency-key": bad}))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ListFilter(None, (), None)),
        ({"project_id": "12"}, ListFilter(12, (), None)),
        ({"status": "active"}, ListFilter(None, ("pending", "processing"), None)),
        ({"status": "error,active,pending"}, ListFilter(None, ("error", "pending", "processing"), None)),
        ({"type": "annotate", "status": "complete"}, ListFilter(None, ("complete",), "annotate")),
    ],
)
def test_list_filters(query: dict[str, str], expected: ListFilter) -> None:
    assert parse_list_query(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        {"project_id": "0"},
        {"project_id": "-1"},
        {"project_id": "x"},
        {"status": "done"},
        {"status": ""},
        {"type": "x"},
    ],
)
def test_bad_list_filters_are_400(query: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        parse_list_query(query)


def test_list_sql_runs_one_keyset_branch_per_status() -> None:
    sql = export_sql.list_sql(ListFilter(3, ("pending", "error"), None), after="x")
    assert sql.count("UNION ALL") == 1
    assert "id < :after" in sql and "project_id = :project_id" in sql
    # A project without a status filter still walks (project_id, status, id) ranges.
    assert export_sql.list_sql(ListFilter(3, (), None), after=None).count("UNION ALL") == 4
    # So does a type (type, status, id: migration 0007); with neither, one range of the ids.
    assert export_sql.list_sql(ListFilter(None, (), "overlay"), after=None).count("UNION ALL") == 4
    assert "UNION" not in export_sql.list_sql(ListFilter(None, (), None), after=None)


def test_uuid7_is_time_ordered_and_well_formed() -> None:
    ids = [uuid7(ms) for ms in (1, 2, 1_800_000_000_000, 1_800_000_000_001)]
    assert ids == sorted(ids)
    for value in ids:
        assert UUID_PATTERN.fullmatch(value)
        assert value[14] == "7" and value[19] in "89ab"  # version 7, RFC 9562 variant
    assert uuid7_ms(ids[2]) == 1_800_000_000_000
    assert uuid7(5) != uuid7(5)


def test_job_types_come_from_configuration() -> None:
    assert check_type("overlay", "type", DEFAULT_TYPES) == "overlay"
    with pytest.raises(ValidationError) as caught:
        check_type("render", "type", DEFAULT_TYPES)
    assert caught.value.field == "type" and "framing" in caught.value.message
    assert parse_job_types(" render , upscale ", "EXPORT_JOB_TYPES") == ("render", "upscale")
    for bad in ("", "a,a", "Render", "a b", ",".join(f"t{i}" for i in range(33))):
        with pytest.raises(ValueError, match="EXPORT_JOB_TYPES"):
            parse_job_types(bad, "EXPORT_JOB_TYPES")


def test_queue_fields_of_create_claim_complete_and_cancel() -> None:
    job = parse_create(with_(priority=-5, start_after="2026-12-01T09:00:00Z", retry_base_seconds=2))
    assert (job.priority, job.start_after, job.retry_base_seconds, job.retry_cap_seconds) == (
        -5,
        1_796_115_600_000,
        2,
        None,
    )
    assert parse_create(with_(start_after="2026-12-01T10:00:00+01:00")).start_after == 1_796_115_600_000
    # Requests without the new fields hash as before (live Idempotency-Keys stay valid).
    assert parse_create(VALID).request_hash() == parse_create(with_(priority=0)).request_hash()
    assert parse_create(VALID).request_hash() != parse_create(with_(priority=1)).request_hash()
    assert parse_claim({"runner_id": "r", "max_jobs": 10})["max_jobs"] == 10
    for bad in (0, 11, True):
        with pytest.raises(ValidationError):
            parse_claim({"runner_id": "r", "max_jobs": bad})
    done = COMPLETE.parse({"runner_id": "r", "output_video_key": "o", "result": {"frames": 3}})
    assert done["result"] == '{"frames":3}'
    for bad in ([1], "x", {"big": "x" * MAX_PARAMS_BYTES}):
        with pytest.raises(ValidationError) as caught:
            COMPLETE.parse({"runner_id": "r", "output_video_key": "o", "result": bad})
        assert caught.value.field == "result"
    assert CANCEL.parse({}) == {"reason": None}
    assert CANCEL.parse({"reason": " duplicate "}) == {"reason": "duplicate"}
    with pytest.raises(ValidationError):
        CANCEL.parse({"reason": "x" * 4097})
