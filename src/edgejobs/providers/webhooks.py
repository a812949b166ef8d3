"""Webhooks in: Replicate's (Standard Webhooks signature) and RunPod's (a secret in the URL).

Both apply the body through the same mapping as a status check (replicate.py, runpod.py) and
hand it to the record that carries the provider's job id (targets.py). Both are idempotent:
every change is a compare-and-set, so the same news twice changes nothing the second time; and
a Replicate delivery whose `webhook-id` was seen before is acknowledged without being applied.
"""

from __future__ import annotations

import hmac
from typing import Any

from ..core.context import JSON_TYPES, RequestContext
from ..core.db import Statement
from ..core.errors import Unauthorized, UnsupportedMediaType, ValidationError
from ..core.http import HttpResponse, json_response
from ..core.logs import emit
from ..core.strict_json import parse_json
from . import replicate, runpod, signatures
from .results import ProviderJob, Transient
from .sql import RECORD_WEBHOOK_SQL, SEEN_WEBHOOK_SQL
from .targets import deliver

WEBHOOK_BODY_LIMIT = 1024 * 1024  # a prediction with its logs
WEBHOOK_ID_TTL_MS = 24 * 3600 * 1000  # how long a webhook-id is remembered


async def replicate_webhook(ctx: RequestContext) -> HttpResponse:
    """A Replicate prediction, signed: applied to the record carrying its id."""
    if not ctx.config.replicate_webhook_secret:
        raise Unauthorized("Replicate webhooks are off: set the secret REPLICATE_WEBHOOK_SECRET.")
    try:
        key = signatures.secret_key(ctx.config.replicate_webhook_secret)
    except ValueError as exc:
        raise Unauthorized(f"Replicate webhooks are misconfigured: {exc}.") from None
    body = await ctx.body(WEBHOOK_BODY_LIMIT)
    headers = {
        name: ctx.request.header(name) or ""
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    try:
        webhook_id = signatures.verify(key, headers, body, ctx.now / 1000)
    except signatures.BadSignature as exc:
        raise Unauthorized(f"The webhook signature is not valid: {exc}.") from None
    if await ctx.db.first(SEEN_WEBHOOK_SQL, replicate.NAME, webhook_id) is not None:
        return acknowledged("ignored", reason="replayed")
    answer = mapped(replicate.map_prediction(json_body(ctx, body)))
    expires = ctx.now + WEBHOOK_ID_TTL_MS
    return await apply(
        ctx, answer, [Statement(RECORD_WEBHOOK_SQL, (replicate.NAME, webhook_id, ctx.now, expires))]
    )


async def runpod_webhook(ctx: RequestContext, token: str) -> HttpResponse:
    """A RunPod job status, posted to the secret URL: applied to the record carrying its id."""
    expected = str(ctx.config.runpod_webhook_token)
    if not expected:
        raise Unauthorized("RunPod webhooks are off: set the secret RUNPOD_WEBHOOK_TOKEN.")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise Unauthorized("The RunPod webhook URL's token is not valid.")
    body = await ctx.body(WEBHOOK_BODY_LIMIT)
    return await apply(ctx, mapped(runpod.map_job(json_body(ctx, body))))


def json_body(ctx: RequestContext, body: bytes) -> Any:
    """The body as strict JSON, sent as application/json (415 otherwise)."""
    media_type = (ctx.request.header("content-type") or "").split(";")[0].strip().lower()
    if media_type not in JSON_TYPES:
        raise UnsupportedMediaType(
            f"The webhook body must be sent as application/json, not {media_type or 'no content type'}."
        )
    return parse_json(body)


def mapped(answer: ProviderJob | Transient) -> ProviderJob:
    if isinstance(answer, Transient):
        raise ValidationError(f"The webhook body is not a job status: {answer.message}.")
    return answer


async def apply(
    ctx: RequestContext, answer: ProviderJob, also: list[Statement] | None = None
) -> HttpResponse:
    delivered = await deliver(ctx.db, ctx.config, ctx.now, answer, also or [])
    if delivered is None:
        emit("info", "provider webhook for an unknown job", provider=answer.provider, job_id=answer.job_id)
        return acknowledged("ignored", reason="unknown_job")
    target, outcome = delivered
    return acknowledged("applied", target=target, outcome=outcome)


def acknowledged(status: str, **fields: Any) -> HttpResponse:
    return json_response({"status": status, "target": None, "outcome": None, "reason": None, **fields})


ACK_SCHEMA = {
    "type": "object",
    "required": ["status", "target", "outcome", "reason"],
    "properties": {
        "status": {"type": "string", "enum": ["applied", "ignored"]},
        "target": {"type": ["string", "null"], "description": "The kind of record the news went to."},
        "outcome": {"type": ["string", "null"], "examples": ["completed", "failed", "extended", "unchanged"]},
        "reason": {"type": ["string", "null"], "enum": ["replayed", "unknown_job", None]},
    },
}
