"""`/api/maintenance/runs`: the run log, and a run on demand."""

from __future__ import annotations

from ..core.context import RequestContext
from ..core.db import MAX_SAFE_INTEGER
from ..core.http import HttpResponse, json_response
from ..core.pagination import page_request, page_response, page_rows
from .runs import LIST_RUNS_SQL, render_run, run_maintenance


async def list_runs(ctx: RequestContext) -> HttpResponse:
    scope = "maintenance_runs"
    page = page_request(ctx.request.query, scope, ctx.cursor_key, (int,))
    after = page.after[0] if page.after else MAX_SAFE_INTEGER
    rows = await ctx.db.all(LIST_RUNS_SQL, after, page.limit + 1)
    items, next_cursor = page_rows(rows, page, scope, ctx.cursor_key, lambda r: [r["id"]])
    return json_response(page_response(items, next_cursor, render_run))


async def run_maintenance_now(ctx: RequestContext) -> HttpResponse:
    """One bounded run of every capability's cron tasks now, recorded with trigger `manual`."""
    await ctx.json_object(allowed=(), required=False)  # no parameters; `{}` or no body
    tasks = ctx.registry.tasks if ctx.registry else []
    record = await run_maintenance(ctx.db, ctx.config, "manual", ctx.now, tasks)
    return json_response(render_run(record.as_row()), 201)
