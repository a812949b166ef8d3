"""Webhook subscriptions over HTTP: create (secret once), read, list, change, delete, and the
URL and event rules as 400s that change nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.support.runtime import LocalRuntime

HOOK = "http://127.0.0.1:9/hook"  # loopback: allowed by the webhooks runtime (WEBHOOK_ALLOW_HTTP)


@pytest.fixture
def made(hooks_client: httpx.Client):  # type: ignore[no-untyped-def]
    ids: list[str] = []
    yield ids
    for subscription_id in ids:
        hooks_client.delete(f"/api/webhooks/{subscription_id}")


def _create(client: httpx.Client, made: list[str], **body: object) -> dict:
    answer = client.post("/api/webhooks", json={"url": HOOK, "events": ["export_job.*"], **body})
    assert answer.status_code == 201, answer.text
    made.append(answer.json()["id"])
    return answer.json()


def test_crud(hooks_client: httpx.Client, made: list[str]) -> None:
    created = _create(hooks_client, made, description="ops pager")
    assert created["secret"].startswith("whsec_") and len(created["secret"]) == 6 + 44
    assert created["events"] == ["export_job.*"] and created["disabled"] is False
    path = f"/api/webhooks/{created['id']}"
    read = hooks_client.get(path).json()
    assert "secret" not in read and read == {k: v for k, v in created.items() if k != "secret"}
    listed = hooks_client.get("/api/webhooks", params={"limit": 200}).json()["items"]
    assert read in listed and all("secret" not in item for item in listed)
    changed = hooks_client.patch(path, json={"events": ["*"], "description": None, "disabled": True})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["events"] == ["*"] and body["description"] is None and body["disabled"] is True
    assert body["disabled_reason"] == "disabled by request" and body["url"] == HOOK
    assert hooks_client.patch(path, json={"url": "http://127.0.0.1:9/other"}).json()["disabled"] is True
    assert hooks_client.delete(path).status_code == 204
    assert hooks_client.get(path).status_code == 404
    assert hooks_client.delete(path).status_code == 404
    assert hooks_client.get(f"{path}/deliveries").status_code == 404


def test_list_pages(hooks_client: httpx.Client, made: list[str]) -> None:
    ids = [_create(hooks_client, made)["id"] for _ in range(3)]
    first = hooks_client.get("/api/webhooks", params={"limit": 2}).json()
    second = hooks_client.get("/api/webhooks", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    seen = [item["id"] for item in first["items"] + second["items"]]
    assert seen[:3] == sorted(ids, reverse=True)  # newest first, no overlap


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://example.com/h", "events": ["*"]}, "url"),
        ({"url": "https://u:p@example.com/h", "events": ["*"]}, "url"),
        ({"url": "https://10.0.0.1/h", "events": ["*"]}, "url"),
        ({"url": "https://169.254.169.254/h", "events": ["*"]}, "url"),
        ({"url": HOOK, "events": []}, "events"),
        ({"url": HOOK, "events": ["export_job.complete"]}, "events"),
        ({"url": HOOK}, "events"),
        ({"events": ["*"]}, "url"),
        ({"url": HOOK, "events": ["*"], "secret": "whsec_x"}, "secret"),
        ({"url": HOOK, "events": ["*"], "description": 5}, "description"),
    ],
)
def test_bad_subscriptions_are_400_and_store_nothing(
    hooks_client: httpx.Client, webhook_runtime: LocalRuntime, body: dict, field: str
) -> None:
    before = webhook_runtime.sql("SELECT count(*) AS n FROM webhook_subscriptions")
    answer = hooks_client.post("/api/webhooks", json=body)
    assert answer.status_code == 400, answer.text
    assert (
        answer.json()["error"]["code"] == "validation_error" and answer.json()["error"].get("field") == field
    )
    assert webhook_runtime.sql("SELECT count(*) AS n FROM webhook_subscriptions") == before


def test_bad_changes_are_400_and_change_nothing(hooks_client: httpx.Client, made: list[str]) -> None:
    created = _create(hooks_client, made)
    path = f"/api/webhooks/{created['id']}"
    for body in (
        {},
        {"url": "https://192.168.0.1/x"},
        {"disabled": "yes"},
        {"events": ["nope.*"]},
        {"id": "x"},
    ):
        assert hooks_client.patch(path, json=body).status_code == 400, body
    assert hooks_client.get(path).json()["updated_at"] == created["updated_at"]


def test_unknown_ids_and_filters(hooks_client: httpx.Client, made: list[str]) -> None:
    created = _create(hooks_client, made)
    assert hooks_client.get("/api/webhooks/not-a-uuid").status_code == 404
    assert hooks_client.get("/api/webhooks/0193a000-0000-7000-8000-000000000000").status_code == 404
    deliveries = f"/api/webhooks/{created['id']}/deliveries"
    assert hooks_client.get(deliveries, params={"status": "lost"}).status_code == 400
    assert hooks_client.get(deliveries, params={"status": "failed"}).json() == {
        "items": [],
        "next_cursor": None,
    }
    missing = f"{deliveries}/0193a000-0000-7000-8000-000000000000/retry"
    assert hooks_client.post(missing).status_code == 404


def test_plain_http_is_refused_without_the_setting(client: httpx.Client) -> None:
    """The session's runtime runs with WEBHOOK_ALLOW_HTTP unset: loopback is refused too."""
    answer = client.post("/api/webhooks", json={"url": HOOK, "events": ["*"]})
    assert answer.status_code == 400 and "loopback" in answer.json()["error"]["message"]
