"""Quotas, `/api/quotas`: a user's month (`me` with a user token, `{user_id}` with the service
token) and the per-user overrides of the limits."""

from __future__ import annotations

from ..core.context import RequestContext
from ..core.errors import ValidationError
from ..core.fields import Body, Int
from ..core.http import HttpResponse, json_response
from ..core.validation import path_param
from .model import SMALL_BODY_LIMIT, USER_ID
from .sql import SET_LIMITS_SQL
from .usage import period_of, quota_of, read_quota

LIMITS = Body(
    Int("videos_limit", minimum=0, maximum=1_000_000_000,
        description="Videos a month (instead of QUOTA_VIDEOS_PER_MONTH)."),
    Int("cents_limit", minimum=0, maximum=1_000_000_000_000, default=None,
        description="Spend a month in cents (0: none); absent or null: QUOTA_CENTS_PER_MONTH."),
    limit=SMALL_BODY_LIMIT,
)  # fmt: skip


def _user_id(raw: str) -> str:
    user_id = path_param(raw, "user_id")
    if not USER_ID.fullmatch(user_id):
        raise ValidationError("user_id must be 1-128 visible ASCII characters.", field="user_id")
    return user_id


async def my_quota(ctx: RequestContext) -> HttpResponse:
    """The caller's month (a user token; the service token has no quota of its own)."""
    if ctx.principal.sub is None:
        raise ValidationError("The service token has no quota: use GET /api/quotas/{user_id}.")
    return json_response((await read_quota(ctx.db, ctx.principal.sub, ctx.config, ctx.now)).render())


async def user_quota(ctx: RequestContext, user_id: str) -> HttpResponse:
    quota = await read_quota(ctx.db, _user_id(user_id), ctx.config, ctx.now)
    return json_response(quota.render())


async def set_user_quota(ctx: RequestContext, user_id: str) -> HttpResponse:
    """Set (or, with null, clear) a user's limits; the month's usage is kept."""
    owner = _user_id(user_id)
    limits = await LIMITS.read(ctx)
    row = await ctx.db.first(
        SET_LIMITS_SQL, owner, period_of(ctx.now), limits["videos_limit"], limits["cents_limit"], ctx.now
    )
    return json_response(quota_of(owner, row, ctx.config, ctx.now).render())
