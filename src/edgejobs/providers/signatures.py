"""Standard Webhooks signatures, as Replicate sends them.

A delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`:
space-separated `v1,<base64 HMAC-SHA256>` entries over `"{id}.{timestamp}.{body}"`, keyed with
the secret's bytes (the base64 after `whsec_`). A delivery is genuine when its timestamp is
within the tolerance of now and one entry matches, compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

TOLERANCE_SECONDS = 5 * 60
SECRET_PREFIX = "whsec_"
MAX_ID = 200  # a webhook-id longer than this is refused (it is stored to spot replays)


class BadSignature(Exception):
    """The delivery is not signed with the secret, or not now."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (a secret without the prefix: its base64)."""
    text = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("REPLICATE_WEBHOOK_SECRET is not whsec_ followed by base64") from None
    if not key:
        raise ValueError("REPLICATE_WEBHOOK_SECRET is empty")
    return key


def sign(key: bytes, webhook_id: str, timestamp: int | str, body: bytes) -> str:
    """The `v1,<base64>` signature of a delivery (what the sender computes)."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(key: bytes, headers: Mapping[str, str], body: bytes, now_seconds: float) -> str:
    """The delivery's `webhook-id` when it is signed with `key` within the tolerance of now;
    `BadSignature` (saying why) otherwise. Every candidate entry is compared, in constant
    time each, so the time taken does not tell which bytes matched."""
    webhook_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not webhook_id or not stamp or not signatures:
        raise BadSignature("webhook-id, webhook-timestamp and webhook-signature are required")
    if len(webhook_id) > MAX_ID or not webhook_id.isprintable():
        raise BadSignature("the webhook-id is not a short printable string")
    if not stamp.isdigit() or len(stamp) > 12:
        raise BadSignature("the webhook-timestamp is not Unix seconds")
    if abs(now_seconds - int(stamp)) > TOLERANCE_SECONDS:
        raise BadSignature("the webhook-timestamp is more than 5 minutes from now")
    expected = sign(key, webhook_id, stamp, body).encode()
    matched = False
    for candidate in signatures.split(" "):
        matched |= hmac.compare_digest(candidate.strip().encode(), expected)
    if not matched:
        raise BadSignature("no signature matches")
    return webhook_id
