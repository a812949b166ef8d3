"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under
the decoded bytes of the subscription's `whsec_` secret. The HMAC itself comes from the
platform (Web Crypto in the Worker; the standard library under CPython)."""

from __future__ import annotations

import base64

from ..core.services import HmacSha256
from .model import secret_key


async def sign(hmac_sha256: HmacSha256, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    mac = await hmac_sha256(secret_key(secret), f"{message_id}.{timestamp}.".encode() + body)
    return "v1," + base64.b64encode(mac).decode()


async def signed_headers(
    hmac_sha256: HmacSha256, secret: str, message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The headers of one attempt (`webhook-id` is the delivery's, the same on every retry)."""
    return {
        "content-type": "application/json",
        "user-agent": "edgejobs-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": await sign(hmac_sha256, secret, message_id, timestamp, body),
    }
