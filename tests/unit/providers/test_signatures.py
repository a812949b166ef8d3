"""Standard Webhooks verification (Replicate's webhooks): tolerance, every byte, every entry."""

from __future__ import annotations

import base64
import time

import pytest

from edgejobs.providers.signatures import BadSignature, secret_key, sign, verify
from tests.support.fake_providers import REPLICATE_WEBHOOK_SECRET, signed_webhook

KEY = secret_key(REPLICATE_WEBHOOK_SECRET)
BODY = {"id": "p1", "status": "succeeded", "output": "https://replicate.delivery/x.mp4"}


def test_a_delivery_signed_as_replicate_signs_it_is_genuine() -> None:
    headers, raw = signed_webhook(BODY)
    assert verify(KEY, headers, raw, time.time()) == headers["webhook-id"]


def test_the_standard_webhooks_test_vector() -> None:
    # The specification's example: secret, id, timestamp, payload and signature.
    key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
               "webhook-signature": f"v1,bad {expected}"}  # fmt: skip
    assert verify(key, headers, body, 1614265330 + 299) == "msg_p5jXN8AQM9LWM0D4loKWxJek"


@pytest.mark.parametrize("position", [0, 5, 17, -1])
def test_a_body_off_by_one_byte_is_refused(position: int) -> None:
    headers, raw = signed_webhook(BODY)
    tampered = bytearray(raw)
    tampered[position] ^= 1
    with pytest.raises(BadSignature, match="no signature matches"):
        verify(KEY, headers, bytes(tampered), time.time())


def test_a_signature_off_by_one_byte_is_refused() -> None:
    headers, raw = signed_webhook(BODY)
    digest = bytearray(base64.b64decode(headers["webhook-signature"][3:]))
    digest[-1] ^= 1
    headers["webhook-signature"] = "v1," + base64.b64encode(bytes(digest)).decode()
    with pytest.raises(BadSignature, match="no signature matches"):
        verify(KEY, headers, raw, time.time())


@pytest.mark.parametrize("skew", [-301, 301, 100_000])
def test_a_timestamp_more_than_five_minutes_away_is_refused(skew: int) -> None:
    now = int(time.time())
    headers, raw = signed_webhook(BODY, timestamp=now + skew)  # signed correctly, but not now
    with pytest.raises(BadSignature, match="5 minutes"):
        verify(KEY, headers, raw, now)
    headers, raw = signed_webhook(BODY, timestamp=now + (299 if skew > 0 else -299))
    assert verify(KEY, headers, raw, now)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"webhook-id": ""}, "required"),
        ({"webhook-signature": ""}, "required"),
        ({"webhook-timestamp": "12.5"}, "Unix seconds"),
        ({"webhook-timestamp": "9" * 20}, "Unix seconds"),
        ({"webhook-id": "x" * 201}, "short printable"),
        ({"webhook-id": "id\nwith-newline"}, "short printable"),
        ({"webhook-signature": "v2,abc"}, "no signature matches"),
    ],
)
def test_malformed_headers_are_refused(change: dict[str, str], reason: str) -> None:
    headers, raw = signed_webhook(BODY)
    with pytest.raises(BadSignature, match=reason):
        verify(KEY, {**headers, **change}, raw, time.time())


def test_another_secret_is_refused_and_a_bad_secret_is_a_configuration_error() -> None:
    other = "whsec_" + base64.b64encode(b"another key").decode()
    headers, raw = signed_webhook(BODY, secret=other)
    with pytest.raises(BadSignature):
        verify(KEY, headers, raw, time.time())
    with pytest.raises(ValueError, match="base64"):
        secret_key("whsec_not base64!")
