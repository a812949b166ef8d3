"""Job runs: what a run is, how a request's body becomes one, and how one is rendered."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..core.dates import check_date, parse_instant, utc_date
from ..core.errors import ValidationError
from ..core.render import JSON, TIME, Column
from ..core.validation import get_int, get_str
from ..reports.fields import MAX_TRIGGER_CHARS, check_job_type, parse_metadata

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
STATUSES = (RUNNING, SUCCEEDED, FAILED)
FINISHED = (SUCCEEDED, FAILED)
MAX_ERROR_CHARS = 4096
MAX_ITEMS = 2**53 - 1

# What a run looks like to clients, rendered by `render` or, on list pages, by SQLite.
RUN_FIELDS = (
    *map(Column, ("id", "job_type", "scheduled_date", "status", "trigger_source")),
    Column("started_at", TIME),
    Column("finished_at", TIME),
    *map(Column, ("duration_ms", "items_processed", "error")),
    Column("metadata", JSON),
    Column("created_at", TIME),
    Column("updated_at", TIME),
)
CREATE_FIELDS = (
    "job_type", "scheduled_date", "status", "trigger_source", "started_at", "finished_at",
    "duration_ms", "items_processed", "error", "metadata",
)  # fmt: skip
FINISH_FIELDS = ("status", "finished_at", "items_processed", "error", "metadata")


def optional_time(body: Mapping[str, Any], name: str) -> int | None:
    return None if body.get(name) is None else parse_instant(body[name], name)


class NewRun(NamedTuple):
    job_type: str
    scheduled_date: str
    status: str
    trigger_source: str | None
    started_at: int
    finished_at: int | None
    duration_ms: int | None
    items_processed: int | None
    error: str | None
    metadata: str | None


def parse_create(body: Mapping[str, Any], now: int) -> NewRun:
    """A run to record: `running` (started now unless `started_at` says when), or a finished
    one with its times (`finished_at` defaults to now, `duration_ms` to the time between)."""
    status = get_str(body, "status", choices=STATUSES, default=RUNNING)
    started = optional_time(body, "started_at")
    finished = optional_time(body, "finished_at")
    duration = get_int(body, "duration_ms", minimum=0, maximum=MAX_ITEMS, default=None)
    error = get_str(body, "error", max_length=MAX_ERROR_CHARS, default=None)
    if status == RUNNING:
        for name, value in (("finished_at", finished), ("duration_ms", duration), ("error", error)):
            if value is not None:
                raise ValidationError(
                    f"A running job run has no {name!r}; send it when it finishes.", field=name
                )
        started = now if started is None else started
    else:
        if finished is None:
            finished = started + duration if started is not None and duration is not None else now
        if started is None:
            started = finished - (duration or 0)
        if finished < started:
            raise ValidationError("'finished_at' is before 'started_at'.", field="finished_at")
        duration = finished - started if duration is None else duration
    scheduled = body.get("scheduled_date")
    return NewRun(
        job_type=check_job_type(get_str(body, "job_type", max_length=64)),
        scheduled_date=utc_date(started) if scheduled is None else check_date(scheduled, "scheduled_date"),
        status=status,
        trigger_source=get_str(body, "trigger_source", max_length=MAX_TRIGGER_CHARS, default=None),
        started_at=started,
        finished_at=finished,
        duration_ms=duration,
        items_processed=get_int(body, "items_processed", minimum=0, maximum=MAX_ITEMS, default=None),
        error=error,
        metadata=parse_metadata(body),
    )


class Finish(NamedTuple):
    status: str
    finished_at: int
    items_processed: int | None
    error: str | None
    metadata: str | None


def parse_finish(body: Mapping[str, Any], now: int) -> Finish:
    finished = optional_time(body, "finished_at")
    return Finish(
        status=get_str(body, "status", choices=FINISHED),
        finished_at=now if finished is None else finished,
        items_processed=get_int(body, "items_processed", minimum=0, maximum=MAX_ITEMS, default=None),
        error=get_str(body, "error", max_length=MAX_ERROR_CHARS, default=None),
        metadata=parse_metadata(body),
    )


def metadata_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)
