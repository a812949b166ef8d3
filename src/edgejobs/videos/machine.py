"""The video state machine: which action moves a video from which statuses to which.

    action        from                    to            event            who
    update        queued, in_progress     (unchanged)   —                service (PATCH without a new status)
    keep_queued   queued                  queued        —                service (PATCH status=queued)
    start         queued, in_progress     in_progress   status_changed   service (PATCH)
    complete      queued, in_progress     completed     status_changed   service (PATCH)
    fail          queued, in_progress     failed        status_changed   service (PATCH)
    cancel        queued, in_progress     cancelled     cancelled        owner or service
    archive       any                     (unchanged)   archived         owner or service
    delete        any                     (unchanged)   deleted          owner or service
    remixed       completed               completed     remixed          owner or service (the source)

Finished videos (completed, failed, cancelled) are final. A progress lower than recorded is
ignored. `start` on a video already in progress records no event (its event statement finds
only rows whose status changed). Every action is one compare-and-set UPDATE and its event,
in one batch (core/states.py), and only on a video not deleted; the owner's usage counts,
the refund and the generation's counts follow from the UPDATE (triggers `videos_counted_*`).
"""

from __future__ import annotations

from ..core.states import Action, Machine, Rows

# A video's statuses are the words the provider adapters map every provider's answer to.
from ..providers.results import CANCELLED as CANCELLED
from ..providers.results import COMPLETED as COMPLETED
from ..providers.results import FAILED as FAILED
from ..providers.results import FINISHED as FINISHED
from ..providers.results import IN_PROGRESS, QUEUED, STATUSES

LIVE = (QUEUED, IN_PROGRESS)
VIDEOS = Machine("videos", "video", "video", STATUSES)

# One video by id; its event only if the status changed (start on a video in progress).
ONE_VIDEO = Rows("id = :id", "id = :id", one_row=True)
ONE_VIDEO_MOVED = Rows("id = :id", "id = :id AND previous_status <> status", one_row=True)
# The videos of one generation (at most 10), and of the generations one import made.
GENERATION_VIDEOS = Rows("generation_id = :generation_id", "generation_id = :generation_id")
IMPORTED_VIDEOS = Rows(
    "generation_id IN (SELECT value FROM json_each(:generation_ids))",
    "generation_id IN (SELECT value FROM json_each(:generation_ids))",
)

# Only a video not deleted, and (`:scope`, a user token's `sub`) only the caller's own.
# The remix's create charged the new video's owner (the statement before, in its batch).
CHARGED = "EXISTS (SELECT 1 FROM video_usage WHERE owner = :owner AND charge_id = :charge_id)"
_NOT_DELETED = "AND deleted_at IS NULL AND (:scope IS NULL OR user_id = :scope)"
# What a PATCH may set besides the status; absent fields (NULL) keep the stored value.
_REPORTED = """progress = max(progress, coalesce(:progress, progress)),
    provider_job_id = coalesce(:provider_job_id, provider_job_id),
    file_url = coalesce(:file_url, file_url),
    thumbnail_url = coalesce(:thumbnail_url, thumbnail_url),
    expires_at = coalesce(:expires_at, expires_at)"""
# A video that ends without a file gives back what it was charged (the trigger
# videos_counted_status refunds it).
_REFUND = "refunded = charged AND coalesce(:file_url, file_url) IS NULL"

UPDATE = Action("update", LIVE, LIVE, None, _REPORTED, guard=_NOT_DELETED)
KEEP_QUEUED = Action("keep_queued", (QUEUED,), (QUEUED,), None, _REPORTED, guard=_NOT_DELETED)
START = Action(
    "start",
    LIVE,
    (IN_PROGRESS,),
    "status_changed",
    f"status = 'in_progress', started_at = coalesce(started_at, :now), {_REPORTED}",
    guard=_NOT_DELETED,
)
COMPLETE = Action(
    "complete",
    LIVE,
    (COMPLETED,),
    "status_changed",
    f"""status = 'completed', {_REPORTED}, progress = 100, started_at = coalesce(started_at, :now),
    completed_at = :now""",
    guard=_NOT_DELETED,
)
FAIL = Action(
    "fail",
    LIVE,
    (FAILED,),
    "status_changed",
    f"""status = 'failed', {_REPORTED}, completed_at = :now, {_REFUND},
    error = coalesce(:error, json_object('code', 'failed', 'message', 'The video failed.'))""",
    guard=_NOT_DELETED,
    event_data="json(error)",
)
CANCEL = Action(
    "cancel",
    LIVE,
    (CANCELLED,),
    "cancelled",
    f"status = 'cancelled', {_REPORTED}, completed_at = :now, {_REFUND}",
    guard=_NOT_DELETED,
)
ARCHIVE = Action(
    "archive",
    STATUSES,
    STATUSES,
    "archived",
    "archived = 1, archived_at = :now",
    guard=f"{_NOT_DELETED} AND archived = 0",
)
DELETE = Action("delete", STATUSES, STATUSES, "deleted", "deleted_at = :now", guard=_NOT_DELETED)
REMIXED = Action(
    "remixed",
    (COMPLETED,),
    (COMPLETED,),
    "remixed",
    "status = status",
    # In the remix's create batch: only if the new video's charge happened.
    guard=f"{_NOT_DELETED} AND {CHARGED}",
    event_data="json_object('video_id', :remix_id)",
)

ACTIONS = {a.name: a for a in (UPDATE, KEEP_QUEUED, START, COMPLETE, FAIL, CANCEL, ARCHIVE, DELETE, REMIXED)}
# A PATCH's new status → its action (no status: UPDATE).
BY_STATUS = {QUEUED: KEEP_QUEUED, IN_PROGRESS: START, COMPLETED: COMPLETE, FAILED: FAIL, CANCELLED: CANCEL}
