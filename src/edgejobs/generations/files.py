"""Files, `/api/files`: a browser's "file id" is the provider's id of one of its videos
(`provider_job_id`); these find the caller's videos by it, with their generation."""

from __future__ import annotations

import json

from ..core.context import RequestContext
from ..core.errors import NotFound, ValidationError
from ..core.http import JSON_CONTENT_TYPE, HttpResponse
from ..core.validation import path_param
from ..videos.model import owner_of
from .model import GENERATION_ID, parse_ids
from .sql import FILE_SQL, FILES_SQL


async def get_file(ctx: RequestContext, file_id: str) -> HttpResponse:
    """The caller's (newest) video whose provider id is `file_id`."""
    wanted = path_param(file_id, "file_id")
    if not GENERATION_ID.fullmatch(wanted):
        raise ValidationError("A file id is 1-255 visible ASCII characters.", field="file_id")
    row = await ctx.db.first(FILE_SQL, wanted, owner_of(ctx.principal, {}).scope)
    if row is None:
        raise NotFound(f"No video with file id {wanted}.")
    return HttpResponse(200, row["item"].encode(), {"content-type": JSON_CONTENT_TYPE})


async def get_files(ctx: RequestContext) -> HttpResponse:
    """Up to 50 file ids: `{"items": [found, in the order asked], "missing": [not found]}`."""
    wanted = parse_ids(ctx.request.query)
    rows = await ctx.db.all(FILES_SQL, json.dumps(wanted), owner_of(ctx.principal, {}).scope)
    newest: dict[str, dict[str, str]] = {}
    for row in rows:  # a file id of several videos of the caller: the newest (ids sort by time)
        known = newest.get(row["provider_job_id"])
        if known is None or row["id"] > known["id"]:
            newest[row["provider_job_id"]] = row
    found = {file_id: row["item"] for file_id, row in newest.items()}
    items = ",".join(found[file_id] for file_id in wanted if file_id in found)
    missing = [file_id for file_id in wanted if file_id not in found]
    body = f'{{"items":[{items}],"missing":{json.dumps(missing)}}}'
    return HttpResponse(200, body.encode(), {"content-type": JSON_CONTENT_TYPE})
