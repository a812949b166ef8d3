"""Report snapshots over HTTP: upsert with revisions and If-Match, conditional reads, latest,
lists of metadata, delete."""

from __future__ import annotations

from typing import Any

from ..core.context import RequestContext
from ..core.dated import date_range, newest_first_page
from ..core.db import named
from ..core.errors import NotFound, PreconditionFailed, ValidationError
from ..core.http import JSON_CONTENT_TYPE, HttpResponse, empty_response, json_response, parse_entity_tags
from ..core.render import render
from .fields import check_job_type
from .model import BODY_LIMIT, LATEST, PUT_FIELDS, REPORT_FIELDS, etag, parse_date, parse_put, parse_type
from .sql import (
    CREATE_ONLY_SQL,
    DELETE_SQL,
    EXISTS_SQL,
    GET_SQL,
    LATEST_SQL,
    UPDATE_IF_MATCH_SQL,
    UPSERT_SQL,
    VERSION_SQL,
    list_sql,
)
from .store import report_bytes

MAX_TAGS = 4  # the :tag1-:tag4 slots of the If-Match SQL
LIST_SCOPE = "reports"
# Browsers and caches keep a copy and revalidate it with the ETag each time (a 304 is cheap).
CACHE_CONTROL = "private, no-cache"


def _tags(header: str | None) -> dict[str, Any]:
    """If-Match as bound values: tag1 = '*' for any, else up to four tags; None when absent."""
    if header is None:
        return {"tag1": None, "tag2": None, "tag3": None, "tag4": None}
    tags = parse_entity_tags(header)
    if tags is None:
        tags = ["*"]
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"If-Match may name at most {MAX_TAGS} entity tags.", field="If-Match")
    slots: list[str | None] = [*tags, *[None] * (MAX_TAGS - len(tags))]
    return {f"tag{i + 1}": tag for i, tag in enumerate(slots)}


def _headers(row: dict[str, Any]) -> dict[str, str]:
    return {"etag": etag(row), "cache-control": CACHE_CONTROL}


async def put_report(ctx: RequestContext, report_type: str, scheduled_date: str) -> HttpResponse:
    """201 with the new report (revision 1) or 200 with the replaced one (revision + 1)."""
    key = {"report_type": parse_type(report_type), "scheduled_date": parse_date(scheduled_date)}
    report = await parse_put(await ctx.json_object(PUT_FIELDS, BODY_LIMIT))
    values = {
        **key,
        "metadata": report.metadata,
        "trigger_source": report.trigger_source,
        "size_bytes": report.content.size_bytes,
        "stored_bytes": report.content.stored_bytes,
        "content": report.content.stored,
        "now": ctx.now,
    }
    if_match = ctx.request.header("if-match")
    if_none_match = ctx.request.header("if-none-match")
    if if_match is not None:
        sql = UPDATE_IF_MATCH_SQL
        values.update(_tags(if_match))
    elif if_none_match is not None:
        if if_none_match.strip() != "*":
            raise ValidationError(
                "On a PUT, If-None-Match may only be '*' (create only).", field="If-None-Match"
            )
        sql = CREATE_ONLY_SQL
    else:
        sql = UPSERT_SQL
    row = (await ctx.db.run(named(sql, values))).first()
    if row is None:
        raise PreconditionFailed(
            "The report does not match If-Match (it changed, or does not exist)."
            if if_match is not None
            else "A report for this type and date exists already (If-None-Match: *)."
        )
    status = 201 if row["revision"] == 1 else 200
    headers = _headers(row)
    if status == 201:
        headers["location"] = f"/api/reports/{key['report_type']}/{key['scheduled_date']}"
    return json_response(render(REPORT_FIELDS, row), status, headers)


async def get_report(ctx: RequestContext, report_type: str, scheduled_date: str) -> HttpResponse:
    """The snapshot with `content`; 304 when If-None-Match names its ETag."""
    kind, day = parse_type(report_type), parse_date(scheduled_date, latest_allowed=True)
    if day == LATEST:
        return await latest_report(ctx, kind)
    if_none_match = ctx.request.header("if-none-match")
    if if_none_match is not None:
        version = await ctx.db.first(VERSION_SQL, kind, day)
        if version is not None and _matches(if_none_match, etag(version)):
            return empty_response(304, _headers(version))
    row = await ctx.db.first(GET_SQL, kind, day, blobs=("content",))
    if row is None:
        raise NotFound(f"No {kind} report for {day}.")
    return _report_response(row)


async def latest_report(ctx: RequestContext, kind: str) -> HttpResponse:
    """The snapshot of the newest date of a type; 404 if there is none."""
    row = await ctx.db.first(LATEST_SQL, kind, blobs=("content",))
    if row is None:
        raise NotFound(f"No {kind} report yet.")
    if_none_match = ctx.request.header("if-none-match")
    if if_none_match is not None and _matches(if_none_match, etag(row)):
        return empty_response(304, _headers(row))
    return _report_response(row)


def _matches(header: str, tag: str) -> bool:
    tags = parse_entity_tags(header)
    return tags is None or tag in tags or f"W/{tag}" in tags


def _report_response(row: dict[str, Any]) -> HttpResponse:
    return HttpResponse(200, report_bytes(row), {"content-type": JSON_CONTENT_TYPE, **_headers(row)})


async def delete_report(ctx: RequestContext, report_type: str, scheduled_date: str) -> HttpResponse:
    """204; 404 if absent; 412 if If-Match names another version."""
    values = {"report_type": parse_type(report_type), "scheduled_date": parse_date(scheduled_date)}
    if_match = ctx.request.header("if-match")
    values.update(_tags(if_match))
    result = await ctx.db.run(named(DELETE_SQL, values))
    if not result.rows:
        if if_match is not None and await ctx.db.first(
            EXISTS_SQL, values["report_type"], values["scheduled_date"]
        ):
            raise PreconditionFailed("The report does not match If-Match (it changed).")
        raise NotFound(f"No {values['report_type']} report for {values['scheduled_date']}.")
    return empty_response(204)


async def list_reports(ctx: RequestContext) -> HttpResponse:
    """Metadata only, newest date first; filters type, since, until (inclusive dates)."""
    query = ctx.request.query
    values: dict[str, Any] = date_range(query)
    if "type" in query:
        values["type"] = check_job_type(query["type"], "type")

    def sql_of(after: bool) -> str:
        return list_sql("type" in values, "since" in values, "until" in values, after)

    return await newest_first_page(ctx, LIST_SCOPE, "scheduled_date", "report_type", values, sql_of)
