"""Standard Webhooks signatures: the specification's published test vector, through the
same HMAC seam the Worker uses (the standard library here, Web Crypto there)."""

from __future__ import annotations

import asyncio
import base64

from edgejobs.core.services import stdlib_hmac_sha256
from edgejobs.webhooks.model import new_secret, secret_key
from edgejobs.webhooks.signing import sign, signed_headers
from tests.support.webhooks import (
    VECTOR_BODY,
    VECTOR_ID,
    VECTOR_SECRET,
    VECTOR_SIGNATURE,
    VECTOR_TIMESTAMP,
    verify,
)


def test_the_published_vector() -> None:
    signature = asyncio.run(sign(stdlib_hmac_sha256, VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY))
    assert signature == VECTOR_SIGNATURE


def test_the_tests_own_verifier_accepts_the_vector_and_refuses_changes() -> None:
    headers = {"webhook-id": VECTOR_ID, "webhook-timestamp": str(VECTOR_TIMESTAMP)}
    assert verify(
        VECTOR_SECRET, {**headers, "webhook-signature": VECTOR_SIGNATURE}, VECTOR_BODY, VECTOR_TIMESTAMP
    )
    for changed in (
        {**headers, "webhook-signature": VECTOR_SIGNATURE.replace("g0h", "g1h")},
        {**headers, "webhook-id": "msg_other", "webhook-signature": VECTOR_SIGNATURE},
    ):
        try:
            verify(VECTOR_SECRET, changed, VECTOR_BODY, VECTOR_TIMESTAMP)
        except AssertionError:
            continue
        raise AssertionError(f"accepted {changed}")


def test_secrets_are_whsec_base64_of_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(secret_key(first)) == 32 and base64.b64encode(secret_key(first)).decode() == first[6:]


def test_headers_verify_with_the_tests_algorithm() -> None:
    secret, body = new_secret(), b'{"type":"export_job.created"}'
    headers = asyncio.run(signed_headers(stdlib_hmac_sha256, secret, "0193-id", 1_700_000_000, body))
    assert headers["webhook-id"] == "0193-id" and headers["webhook-timestamp"] == "1700000000"
    assert verify(secret, headers, body, 1_700_000_000) == {"type": "export_job.created"}
