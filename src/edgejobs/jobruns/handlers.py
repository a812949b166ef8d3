"""Job runs over HTTP: record, finish once, read, list, latest."""

from __future__ import annotations

import json
from typing import Any

from ..core import ids
from ..core.context import RequestContext
from ..core.dated import date_range, newest_first_page
from ..core.db import named
from ..core.errors import Conflict, NotFound, ValidationError
from ..core.http import JSON_CONTENT_TYPE, HttpResponse, json_response
from ..core.render import render
from ..core.validation import check_str, path_param
from ..reports.fields import check_job_type
from ..reports.store import report_json
from .model import (
    CREATE_FIELDS,
    FINISH_FIELDS,
    RUN_FIELDS,
    STATUSES,
    parse_create,
    parse_finish,
)
from .sql import FINISH_SQL, GET_SQL, INSERT_SQL, LATEST_SQL, list_sql

BODY_LIMIT = 64 * 1024
LIST_SCOPE = "job_runs"


async def create_job_run(ctx: RequestContext) -> HttpResponse:
    """201 with the run: `running`, or finished with its times."""
    run = parse_create(await ctx.json_object(CREATE_FIELDS, BODY_LIMIT), ctx.now)
    values = {**run._asdict(), "id": ids.uuid7(ctx.now), "now": ctx.now}
    row = (await ctx.db.run(named(INSERT_SQL, values))).first()
    assert row is not None  # an INSERT of a fresh id returns its row
    return json_response(render(RUN_FIELDS, row), 201, {"location": f"/api/job-runs/{row['id']}"})


def parse_run_id(raw: str) -> str:
    run_id = path_param(raw, "id")
    if not ids.UUID_PATTERN.fullmatch(run_id):
        raise NotFound(f"No job run {run_id[:64]}.")
    return run_id


async def finish_job_run(ctx: RequestContext, id: str) -> HttpResponse:
    """Finish a running run, once: 409 if it already finished."""
    run_id = parse_run_id(id)
    finish = parse_finish(await ctx.json_object(FINISH_FIELDS, BODY_LIMIT), ctx.now)
    values = {**finish._asdict(), "id": run_id, "now": ctx.now}
    row = (await ctx.db.run(named(FINISH_SQL, values))).first()
    if row is None:
        current = await ctx.db.first(GET_SQL, run_id)
        if current is None:
            raise NotFound(f"No job run {run_id}.")
        raise Conflict(
            f"Job run {run_id} already finished ({current['status']}); a run finishes once.",
            details={"status": current["status"]},
        )
    return json_response(render(RUN_FIELDS, row))


async def get_job_run(ctx: RequestContext, id: str) -> HttpResponse:
    """The run, with `report`: the snapshot of its date and type (with content), or null."""
    run_id = parse_run_id(id)
    row = await ctx.db.first(GET_SQL, run_id)
    if row is None:
        raise NotFound(f"No job run {run_id}.")
    return await run_with_report(ctx, row)


async def run_with_report(ctx: RequestContext, row: dict[str, Any]) -> HttpResponse:
    """The run with `report` spliced in as the stored report's bytes (never parsed again)."""
    report = await report_json(ctx.db, row["job_type"], row["scheduled_date"])
    run = json.dumps(render(RUN_FIELDS, row), ensure_ascii=False, separators=(",", ":")).encode()
    body = run[:-1] + b',"report":' + (report or b"null") + b"}"
    return HttpResponse(200, body, {"content-type": JSON_CONTENT_TYPE})


async def latest_job_run(ctx: RequestContext) -> HttpResponse:
    """The newest run (by scheduled date, then start) of `?type=`; 404 if none."""
    raw = ctx.request.query.get("type")
    if raw is None:
        raise ValidationError("Query parameter 'type' is required.", field="type")
    job_type = check_job_type(raw, "type")
    row = await ctx.db.first(LATEST_SQL, job_type)
    if row is None:
        raise NotFound(f"No job run of type {job_type}.")
    return await run_with_report(ctx, row)


async def list_job_runs(ctx: RequestContext) -> HttpResponse:
    """History, newest date first; filters type, status, since, until (inclusive dates)."""
    query = ctx.request.query
    values: dict[str, Any] = date_range(query)
    if "type" in query:
        values["type"] = check_job_type(query["type"], "type")
    if "status" in query:
        values["status"] = check_str(query["status"], "status", choices=STATUSES)

    def sql_of(after: bool) -> str:
        return list_sql("type" in values, "status" in values, "since" in values, "until" in values, after)

    return await newest_first_page(ctx, LIST_SCOPE, "scheduled_date", "id", values, sql_of)
