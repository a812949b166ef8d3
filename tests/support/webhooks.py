"""What the webhooks HTTP tests share: a receiver on loopback that checks every request's
Standard Webhooks signature with its own implementation of the algorithm, the runtime settings
they run under, and helpers to subscribe and to make events.

The verification below is written from the Standard Webhooks specification, independently of
`edgejobs.webhooks.signing`: `v1,` + base64(HMAC-SHA256(base64-decoded secret after `whsec_`,
"{webhook-id}.{webhook-timestamp}.{raw body}")), timestamps within 5 minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.fake_http import FakeHttp, Received, Reply

# The webhooks runtime: http to loopback allowed, a retry schedule of seconds, short timeouts.
WEBHOOK_VARS = {
    "WEBHOOK_ALLOW_HTTP": "true",
    "WEBHOOK_RETRY_SCHEDULE": "1,1,1",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_MAX_PER_RUN": "40",
    "WEBHOOK_QUICK_RETRY_SECONDS": "0",  # retries come from the cron runs the tests trigger
}
TOLERANCE_SECONDS = 5 * 60

# The Standard Webhooks specification's test vector (its reference libraries' tests).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


class SignatureError(AssertionError):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> dict[str, Any]:
    """The Standard Webhooks check a receiver makes; the parsed body, or SignatureError."""
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not message_id or not timestamp or not signatures:
        raise SignatureError(f"missing webhook headers: {sorted(headers)}")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        raise SignatureError(f"timestamp {timestamp!r} outside the tolerance")
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            parsed: dict[str, Any] = json.loads(body)
            return parsed
    raise SignatureError("no valid v1 signature")


@dataclass
class Receiver:
    """A webhook receiver on loopback. Each path is one subscription's endpoint; every request
    is verified with that subscription's secret (a bad signature is recorded as a failure and
    answered 400); `answers[path]` scripts the status codes (the last repeats; default 204)."""

    server: FakeHttp
    secrets: dict[str, str] = field(default_factory=dict)
    answers: dict[str, list[Reply]] = field(default_factory=dict)
    verified: dict[str, list[tuple[dict[str, str], dict[str, Any]]]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    served: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def endpoint(self, path: str, *answers: Reply) -> str:
        self.answers[path] = list(answers) or [Reply(status=204)]
        self.server.on("POST", path, self._answer)
        return self.server.url + path

    def _answer(self, seen: Received) -> Reply:
        with self.lock:
            secret = self.secrets.get(seen.path)
            if secret is None:
                self.failures.append(f"{seen.path}: no secret known")
                return Reply(status=400)
            try:
                payload = verify(secret, seen.headers, seen.body)
            except SignatureError as exc:
                self.failures.append(f"{seen.path}: {exc}")
                return Reply(status=400)
            self.verified.setdefault(seen.path, []).append((seen.headers, payload))
            served = self.served.get(seen.path, 0)
            self.served[seen.path] = served + 1
            answers = self.answers[seen.path]
            return answers[min(served, len(answers) - 1)]

    def ids(self, path: str) -> list[str]:
        with self.lock:
            return [headers["webhook-id"] for headers, _ in self.verified.get(path, [])]


@contextmanager
def receiver() -> Iterator[Receiver]:
    with FakeHttp() as server:
        made = Receiver(server)
        yield made
        assert not made.failures, made.failures


@dataclass
class Subscriptions:
    """Subscribes for one test and deletes what it subscribed afterwards."""

    client: httpx.Client
    receiver: Receiver
    made: list[str] = field(default_factory=list)

    def subscribe(self, path: str, events: list[str], *answers: Reply) -> dict[str, Any]:
        url = self.receiver.endpoint(path, *answers)
        answer = self.client.post("/api/webhooks", json={"url": url, "events": events})
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        self.receiver.secrets[path] = created["secret"]
        self.made.append(created["id"])
        return created

    def deliveries(self, subscription_id: str, **query: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 200, **query}
        while True:
            page = self.client.get(f"/api/webhooks/{subscription_id}/deliveries", params=params)
            assert page.status_code == 200, page.text
            found += page.json()["items"]
            if not page.json()["next_cursor"]:
                return found
            params["cursor"] = page.json()["next_cursor"]

    def cleanup(self) -> None:
        for subscription_id in self.made:
            self.client.delete(f"/api/webhooks/{subscription_id}")


def wait_until(condition: Callable[[], Any], timeout: float = 45, what: str = "condition") -> Any:
    """Polls `condition` until it holds. The bound is generous for a loaded machine, where the
    background sends after a write can start seconds late."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.1)
