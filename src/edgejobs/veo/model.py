"""VEO jobs as the API sees them: the id rule, the metadata taken from a job object
(camelCase or snake_case keys), the TTL by status, conditional-request headers, and how a
metadata row is rendered."""

from __future__ import annotations

import re
from typing import Any, Literal, NamedTuple

from ..core import codec
from ..core.auth import Principal
from ..core.config import Config
from ..core.db import MAX_SAFE_INTEGER, SqlValue
from ..core.errors import Conflict, NotFound, PreconditionFailed, ValidationError
from ..core.http import HttpRequest, parse_entity_tags
from ..core.render import BOOL, TIME, Column, item_sql, render
from ..core.validation import check_str, path_param

# A job's metadata as clients see it, rendered by `render_metadata` or, on list pages, by SQLite.
METADATA_FIELDS = (
    *map(Column, ("job_id", "user_id", "status", "video_id", "video_url", "scene_count", "characters_found")),
    *map(Column, ("mode", "voice")),
    Column("has_script", BOOL),
    Column("error"),
    *(Column(name, TIME) for name in ("created_at", "updated_at", "expires_at")),
    *map(Column, ("size_bytes", "stored_bytes", "etag")),
)
# Each listed job's metadata as SQLite renders it (`render.item_sql`).
METADATA_ITEM_EXPR = item_sql(METADATA_FIELDS)

JOB_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
JOB_ID_RULE = "1–128 characters of A–Z, a–z, 0–9, '.', '_', ':' and '-', not only dots"
DEFAULT_STATUS = "pending"
MAX_STATUS_CHARS = 64
MAX_NAME_CHARS = 256  # video_id, mode, voice
# Jobs one `DELETE /api/veo/jobs?confirm=all` deletes at most (its `limit`, and the default): one
# batch well inside D1's 30 s per query (the whole table at a million jobs was one 67 s batch).
DELETE_ALL_MAX_JOBS = 10_000
MAX_URL_CHARS = 2048
# The `error` column is a searchable copy; the object keeps the whole error.
MAX_ERROR_CHARS = 4096
MAX_IF_MATCH_TAGS = 4  # the slots in _ETAG_MATCHES
LIST_SCOPE = "veo_jobs"
USER_ID = re.compile(r"[\x21-\x7e]{1,128}")  # a user token's `sub`


class Owner(NamedTuple):
    """Whose jobs a request sees: `scope` is the only owner whose jobs it may see and change
    (None: every job), `creator` the owner a job it creates gets (None: no owner)."""

    scope: str | None
    creator: str | None

    @property
    def list_scope(self) -> str:
        """The cursor scope of this owner's list: a cursor from one user's list is refused on
        another's."""
        return LIST_SCOPE if self.scope is None else f"{LIST_SCOPE}:user:{self.scope}"


def owner_of(principal: Principal, query: dict[str, str], shared_pool: bool) -> Owner:
    """A user token: its own jobs (every job when VEO_SHARED_POOL is on; new ones are still
    its own). The service token: every job, or with `?user_id=` that user's, as that user."""
    user_id = query.get("user_id")
    if not principal.is_service:
        if user_id is not None:
            raise ValidationError("Only the service token may name a user_id.", field="user_id")
        return Owner(None if shared_pool else principal.sub, principal.sub)
    if user_id is None:
        return Owner(None, None)
    if not USER_ID.fullmatch(user_id):
        raise ValidationError("user_id must be 1-128 visible ASCII characters.", field="user_id")
    return Owner(user_id, user_id)


def parse_job_id(raw: str) -> str:
    """The path's job id, percent-decoded and checked (400 naming `job_id` otherwise)."""
    job_id = path_param(raw, "job_id")
    if not JOB_ID.fullmatch(job_id) or not job_id.strip("."):
        raise ValidationError(f"The job id must be {JOB_ID_RULE}.", field="job_id")
    return job_id


class JobMetadata(NamedTuple):
    """What `veo_jobs` keeps of a job object, in the column order of the write SQL."""

    status: str
    video_id: str | None
    video_url: str | None
    scene_count: int | None
    characters_found: int | None
    mode: str | None
    voice: str | None
    has_script: bool
    error: str | None


def _field(obj: dict[str, Any], *names: str) -> tuple[str, Any]:
    """(key, value) of the first of `names` the object sets (null counts as unset).
    Spelling the same field two ways with different values is ambiguous: 400."""
    found = [(name, obj[name]) for name in names if obj.get(name) is not None]
    for name, value in found[1:]:
        if value != found[0][1]:
            raise ValidationError(
                f"Fields {found[0][0]!r} and {name!r} are the same field with different values.",
                field=name,
            )
    return found[0] if found else (names[0], None)


def _text(obj: dict[str, Any], *names: str, max_length: int) -> str | None:
    name, value = _field(obj, *names)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # unset, null and blank all mean "not known"
    return check_str(value, name, max_length=max_length)


def _count(obj: dict[str, Any], snake: str, camel: str, items: str) -> int | None:
    """An explicit count, else the length of the `items` list, else unknown."""
    name, value = _field(obj, snake, camel)
    if value is None:
        listed = obj.get(items)
        return len(listed) if isinstance(listed, list) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SAFE_INTEGER:
        raise ValidationError(f"Field {name!r} must be a non-negative integer.", field=name)
    return value


def _has_script(obj: dict[str, Any]) -> bool:
    name, value = _field(obj, "has_script", "hasScript")
    if value is None:
        return bool(obj.get("script"))  # a non-empty script of any JSON type
    if not isinstance(value, bool):
        raise ValidationError(f"Field {name!r} must be true or false.", field=name)
    return value


def _error_text(obj: dict[str, Any]) -> str | None:
    """`error` as text: a string as it is, any other JSON value as its JSON. Only a
    searchable copy (the object keeps the original), so it is capped and made storable
    rather than refused."""
    value = obj.get("error")
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else codec.canonical_json(value).decode()
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    text = text.replace("\x00", "").encode("utf-8", "replace").decode()  # no NUL, no lone surrogate
    return text or None


def check_body_job_id(job_id: str, obj: dict[str, Any]) -> None:
    """The path's id is the key; a body that names another job is a 400."""
    for name in ("job_id", "jobId"):
        if obj.get(name) is not None and obj[name] != job_id:
            raise ValidationError(
                f"Field {name!r} ({str(obj[name])[:80]!r}) differs from the job id in the path ({job_id!r}).",
                field=name,
            )


def extract_metadata(obj: dict[str, Any]) -> JobMetadata:
    """The searchable metadata of a job object (camelCase or snake_case keys)."""
    return JobMetadata(
        status=_text(obj, "status", max_length=MAX_STATUS_CHARS) or DEFAULT_STATUS,
        video_id=_text(obj, "video_id", "videoId", max_length=MAX_NAME_CHARS),
        video_url=_text(obj, "video_url", "videoUrl", max_length=MAX_URL_CHARS),
        scene_count=_count(obj, "scene_count", "sceneCount", "scenes"),
        characters_found=_count(obj, "characters_found", "charactersFound", "characters"),
        mode=_text(obj, "mode", max_length=MAX_NAME_CHARS),
        voice=_text(obj, "voice", max_length=MAX_NAME_CHARS),
        has_script=_has_script(obj),
        error=_error_text(obj),
    )


def ttl_seconds(status: str, config: Config) -> int:
    """completed: VEO_TTL_COMPLETED_SECONDS; failed / partial: their vars; else the default."""
    by_status = {
        "completed": config.veo_ttl_completed_seconds,
        "failed": config.veo_ttl_failed_seconds,
        "partial": config.veo_ttl_partial_seconds,
    }
    return by_status.get(status, config.veo_ttl_default_seconds)


def expires_at(status: str, now: int, config: Config) -> int:
    """Epoch ms at which a job written at `now` with `status` expires."""
    return now + ttl_seconds(status, config) * 1000


class Precondition(NamedTuple):
    """What a conditional request demands: `match` (If-Match: one of `etags`, or any live
    job when `etags` is None) or `absent` (If-None-Match: *); `none` for a plain write."""

    kind: Literal["none", "match", "absent"] = "none"
    etags: tuple[str, ...] | None = None

    def match_params(self) -> list[SqlValue]:
        """The four etag slots of `_ETAG_MATCHES`: `*`, or the tags padded with NULL."""
        if self.kind != "match":
            return [None] * MAX_IF_MATCH_TAGS
        tags = ["*"] if self.etags is None else list(self.etags)
        return [*tags, *[None] * (MAX_IF_MATCH_TAGS - len(tags))]


def parse_precondition(request: HttpRequest, *, allow_absent: bool) -> Precondition:
    """The request's `If-Match` / `If-None-Match` (the latter only where `allow_absent`)."""
    if_match = request.header("if-match")
    if_none_match = request.header("if-none-match")
    if if_match is not None and if_none_match is not None:
        raise ValidationError("Send either If-Match or If-None-Match, not both.", field="if-none-match")
    if if_match is not None:
        etags = parse_entity_tags(if_match)
        if etags is not None and not 1 <= len(etags) <= MAX_IF_MATCH_TAGS:
            raise ValidationError(
                f"If-Match must be * or 1–{MAX_IF_MATCH_TAGS} entity tags.", field="if-match"
            )
        return Precondition("match", None if etags is None else tuple(etags))
    if if_none_match is not None:
        if not allow_absent or if_none_match.strip() != "*":
            raise ValidationError("If-None-Match is supported only as `*` on PUT.", field="if-none-match")
        return Precondition("absent")
    return Precondition()


def render_metadata(row: dict[str, Any]) -> dict[str, Any]:
    return render(METADATA_FIELDS, row)


def taken(job_id: str) -> Conflict:
    return Conflict(f"The job id {job_id!r} is taken by another user's job; nothing was written.")


def not_found(job_id: str) -> NotFound:
    return NotFound(f"No VEO job {job_id!r} (it never existed, was deleted or has expired).")


def precondition_failed(job_id: str, precondition: Precondition) -> PreconditionFailed:
    if precondition.kind == "absent":
        return PreconditionFailed(
            f"VEO job {job_id!r} already exists (If-None-Match: *); nothing was written."
        )
    return PreconditionFailed(
        f"VEO job {job_id!r} does not exist or its ETag does not match If-Match; nothing was changed."
    )


def query_filter(query: dict[str, str], name: str, max_length: int) -> str | None:
    return check_str(query[name], name, max_length=max_length) if name in query else None
