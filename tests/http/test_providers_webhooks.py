"""Webhooks in, over HTTP: Replicate's Standard Webhooks signature (tolerance, every byte,
replayed ids) and RunPod's secret URL. Both are public routes, idempotent, and refuse (401)
or ignore without changing anything."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import pytest

from tests.support.exports import events, get
from tests.support.fake_providers import signed_webhook
from tests.support.providers import RUNPOD_WEBHOOK_TOKEN, ProvidersWorld

RUNPOD_HOOK = f"/api/providers/runpod/webhook/{RUNPOD_WEBHOOK_TOKEN}"
REPLICATE_HOOK = "/api/providers/replicate/webhook"


def seen_ids(world: ProvidersWorld) -> list[str]:
    return [
        r["webhook_id"] for r in world.runtime.sql("SELECT webhook_id FROM provider_webhook_ids ORDER BY 1")
    ]


def state(world: ProvidersWorld) -> Any:
    """Everything a refused webhook must leave as it was."""
    return (
        world.runtime.sql("SELECT id, status, transition_id FROM export_jobs ORDER BY id"),
        world.runtime.sql("SELECT count(*) AS n, max(id) AS last FROM job_events"),
        seen_ids(world),
    )


def post_replicate(world: ProvidersWorld, headers: dict[str, str], raw: bytes) -> httpx.Response:
    return world.anon.post(REPLICATE_HOOK, content=raw, headers=headers)


def test_runpod_webhook_completes_the_export_job_once(providers: ProvidersWorld) -> None:
    job = providers.running_export_job()
    body = {"id": job["runpod_job_id"], "status": "COMPLETED", "delayTime": 9, "executionTime": 31,
            "output": {"output_video_key": "exports/hook.mp4"}}  # fmt: skip
    first = providers.anon.post(RUNPOD_HOOK, json=body)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "status": "applied",
        "target": "export_job",
        "outcome": "completed",
        "reason": None,
    }
    now = get(providers.client, job["id"])
    assert (now["status"], now["output_video_key"]) == ("complete", "exports/hook.mp4")
    again = providers.anon.post(RUNPOD_HOOK, json=body)  # RunPod retries: nothing more happens
    assert again.json()["outcome"] == "unchanged"
    assert [e["event"] for e in events(providers.client, job["id"])].count("completed") == 1
    assert events(providers.client, job["id"])[-1]["data"]["source"] == "runpod"


def test_runpod_webhook_failure_and_unknown_jobs(providers: ProvidersWorld) -> None:
    job = providers.running_export_job()
    failed = providers.anon.post(
        RUNPOD_HOOK, json={"id": job["runpod_job_id"], "status": "FAILED", "error": "boom"}
    )
    assert failed.json()["outcome"] == "failed"
    assert get(providers.client, job["id"])["error"] == "runner_failed"
    unknown = providers.anon.post(RUNPOD_HOOK, json={"id": "rp-nobody", "status": "COMPLETED"})
    assert unknown.json() == {"status": "ignored", "target": None, "outcome": None, "reason": "unknown_job"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/providers/runpod/webhook/wrong-token", {"id": "x", "status": "COMPLETED"}),
        (RUNPOD_HOOK[:-1], {"id": "x", "status": "COMPLETED"}),
        (RUNPOD_HOOK[:-1] + "T", {"id": "x", "status": "COMPLETED"}),
    ],
)
def test_runpod_webhook_with_a_wrong_token_is_401(providers: ProvidersWorld, path: str, body: Any) -> None:
    job = providers.running_export_job()
    before = state(providers)
    answer = providers.anon.post(path, json={**body, "id": job["runpod_job_id"]})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    assert state(providers) == before


@pytest.mark.parametrize("body", [{"status": "COMPLETED"}, {"id": "x", "status": "DONE"}, []])
def test_runpod_webhook_body_that_is_not_a_job_is_400(providers: ProvidersWorld, body: Any) -> None:
    answer = providers.anon.post(RUNPOD_HOOK, json=body)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation_error"


def test_replicate_webhook_is_verified_and_a_replay_is_ignored(providers: ProvidersWorld) -> None:
    prediction = providers.replicate.prediction(
        "p-hook-1", "succeeded", output="https://replicate.delivery/a.mp4"
    )
    headers, raw = signed_webhook(prediction)
    first = post_replicate(providers, headers, raw)
    assert first.status_code == 200, first.text
    # No record carries a Replicate prediction yet (videos take them): acknowledged, remembered.
    assert first.json()["reason"] == "unknown_job"
    assert headers["webhook-id"] in seen_ids(providers)
    before = state(providers)
    replay = post_replicate(providers, headers, raw)
    assert replay.json() == {"status": "ignored", "target": None, "outcome": None, "reason": "replayed"}
    assert state(providers) == before


def _off_by_one_body(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    return headers, raw[:-2] + bytes([raw[-2] ^ 1]) + raw[-1:]


def _off_by_one_signature(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    digest = bytearray(base64.b64decode(headers["webhook-signature"][3:]))
    digest[0] ^= 1
    return {**headers, "webhook-signature": "v1," + base64.b64encode(bytes(digest)).decode()}, raw


def _stale(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    return signed_webhook({"id": "p-stale", "status": "succeeded"}, timestamp=int(time.time()) - 301)


def _other_id(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    return {**headers, "webhook-id": headers["webhook-id"] + "x"}, raw


def _unsigned(headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    return {"content-type": "application/json"}, raw


@pytest.mark.parametrize("tamper", [_off_by_one_body, _off_by_one_signature, _stale, _other_id, _unsigned])
def test_replicate_webhook_refusals_change_nothing(providers: ProvidersWorld, tamper: Any) -> None:
    headers, raw = tamper(*signed_webhook({"id": "p-tampered", "status": "succeeded", "output": None}))
    before = state(providers)
    answer = post_replicate(providers, headers, raw)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "unauthorized"
    assert state(providers) == before


def test_webhook_routes_are_public_in_the_openapi_document(providers: ProvidersWorld) -> None:
    paths = providers.anon.get("/openapi.json").json()["paths"]
    for path in (REPLICATE_HOOK, "/api/providers/runpod/webhook/{token}"):
        operation = paths[path]["post"]
        assert operation["security"] == [] and "401" in operation["responses"]
