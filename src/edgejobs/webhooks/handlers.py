"""`/api/webhooks`: subscriptions (the secret shown once, on create) and their deliveries."""

from __future__ import annotations

from typing import Any

from ..core import ids
from ..core.context import RequestContext
from ..core.db import named
from ..core.errors import Conflict, NotFound
from ..core.http import HttpResponse, empty_response, json_response
from ..core.outbound import Outbound
from ..core.pagination import page_request, page_response, page_rows
from ..core.services import current
from .dispatch import Presence
from .model import (
    BODY_LIMIT,
    new_secret,
    parse_create,
    parse_id,
    parse_patch,
    parse_status_filter,
    render_delivery,
    render_subscription,
)
from .sender import send
from .sql import (
    DELETE_SUBSCRIPTION_SQL,
    GET_DELIVERY_SQL,
    GET_SUBSCRIPTION_SQL,
    INSERT_SUBSCRIPTION_SQL,
    LIST_DELIVERIES_BY_STATUS_SQL,
    LIST_DELIVERIES_SQL,
    LIST_SUBSCRIPTIONS_SQL,
    RETRY_DELIVERY_SQL,
    UPDATE_SUBSCRIPTION_SQL,
)

_ABOVE_ANY_ID = "~"  # sorts after every UUID: the first page's keyset bound


async def create_webhook(ctx: RequestContext) -> HttpResponse:
    """201 with the subscription and its `secret` (the only time it is shown)."""
    values = parse_create(await ctx.json_object(limit=BODY_LIMIT), ctx.config.webhook_allow_http)
    values.update(id=ids.uuid7(ctx.now), secret=new_secret(), now=ctx.now)
    row = (await ctx.db.run(named(INSERT_SUBSCRIPTION_SQL, values))).rows[0]
    Presence.note(True)
    answer = {**render_subscription(row), "secret": row["secret"]}
    return json_response(answer, 201, {"location": f"/api/webhooks/{row['id']}"})


async def _subscription(ctx: RequestContext, raw_id: str) -> dict[str, Any]:
    subscription_id = parse_id(raw_id, "webhook")
    row = await ctx.db.first(GET_SUBSCRIPTION_SQL, subscription_id)
    if row is None:
        raise NotFound(f"No webhook {subscription_id}.")
    return row


async def get_webhook(ctx: RequestContext, id: str) -> HttpResponse:
    return json_response(render_subscription(await _subscription(ctx, id)))


async def list_webhooks(ctx: RequestContext) -> HttpResponse:
    scope = "webhooks"
    page = page_request(ctx.request.query, scope, ctx.cursor_key, (str,))
    after = page.after[0] if page.after else _ABOVE_ANY_ID
    rows = await ctx.db.all(LIST_SUBSCRIPTIONS_SQL, after, page.limit + 1)
    found = page_rows(rows, page, scope, ctx.cursor_key, lambda r: [r["id"]])
    return json_response(page_response(*found, render_subscription))


async def update_webhook(ctx: RequestContext, id: str) -> HttpResponse:
    subscription_id = parse_id(id, "webhook")
    changes = parse_patch(await ctx.json_object(limit=BODY_LIMIT), ctx.config.webhook_allow_http)
    values: dict[str, Any] = {"id": subscription_id, "now": ctx.now}
    for name in ("url", "events", "description", "disabled"):
        values[f"set_{name}"] = int(name in changes)
        values[name] = changes.get(name)
    result = await ctx.db.run(named(UPDATE_SUBSCRIPTION_SQL, values))
    if not result.rows:
        raise NotFound(f"No webhook {subscription_id}.")
    row = result.rows[0]
    if not row["disabled"]:
        Presence.note(True)
    return json_response(render_subscription(row))


async def delete_webhook(ctx: RequestContext, id: str) -> HttpResponse:
    """204; its deliveries go with it."""
    subscription_id = parse_id(id, "webhook")
    if not (await ctx.db.execute(DELETE_SUBSCRIPTION_SQL, subscription_id)).rows:
        raise NotFound(f"No webhook {subscription_id}.")
    Presence.note(None)  # others may remain: look again on the next write
    return empty_response(204)


async def list_deliveries(ctx: RequestContext, id: str) -> HttpResponse:
    """A subscription's deliveries, newest first; `status` filters. The query is checked
    before the subscription is looked up: a bad one is a 400 whatever the id."""
    subscription_id = parse_id(id, "webhook")
    status = parse_status_filter(ctx.request.query)
    scope = f"webhook-deliveries:{subscription_id}:{status or ''}"
    page = page_request(ctx.request.query, scope, ctx.cursor_key, (str,))
    await _subscription(ctx, subscription_id)
    after = page.after[0] if page.after else _ABOVE_ANY_ID
    if status is None:
        rows = await ctx.db.all(LIST_DELIVERIES_SQL, subscription_id, after, page.limit + 1)
    else:
        rows = await ctx.db.all(LIST_DELIVERIES_BY_STATUS_SQL, subscription_id, status, after, page.limit + 1)
    found = page_rows(rows, page, scope, ctx.cursor_key, lambda r: [r["id"]])
    return json_response(page_response(*found, render_delivery))


async def get_delivery(ctx: RequestContext, id: str, delivery_id: str) -> HttpResponse:
    subscription = await _subscription(ctx, id)
    row = await ctx.db.first(GET_DELIVERY_SQL, parse_id(delivery_id, "delivery"), subscription["id"])
    if row is None:
        raise NotFound(f"No delivery {delivery_id[:64]} of webhook {subscription['id']}.")
    return json_response(render_delivery(row))


async def retry_delivery(ctx: RequestContext, id: str, delivery_id: str) -> HttpResponse:
    """Send a delivery again now (a failed one too): 200 with the delivery after the attempt
    (still `pending` with its next attempt scheduled if it failed again)."""
    subscription = await _subscription(ctx, id)
    if subscription["disabled"]:
        raise Conflict(
            f"Webhook {subscription['id']} is disabled; enable it (PATCH disabled: false) first.",
            details={"disabled_reason": subscription["disabled_reason"]},
        )
    values = {"id": parse_id(delivery_id, "delivery"), "subscription_id": subscription["id"], "now": ctx.now}
    result = await ctx.db.run(named(RETRY_DELIVERY_SQL, values))
    if not result.rows:
        raise NotFound(f"No delivery {delivery_id[:64]} of webhook {subscription['id']}.")
    services = current()
    if services.transport is not None:
        due = {**result.rows[0], "url": subscription["url"], "secret": subscription["secret"]}
        await send(ctx.db, ctx.config, services, Outbound(services.transport, max_requests=1), ctx.now, [due])
    row = await ctx.db.first(GET_DELIVERY_SQL, values["id"], subscription["id"])
    return json_response(render_delivery(row or result.rows[0]))
