"""The export job state machine: which action moves a job from which statuses to which.

    action        from                  to                       who
    claim         pending (due)         processing               a runner
    heartbeat     processing            processing               the runner holding it
    complete      processing            complete                 the runner holding it
    fail          processing            pending (retry) | error  the runner holding it
    expire_lease  processing (expired)  pending (retry) | error  the cron
    retry         error, cancelled      pending                  anyone
    cancel        pending, processing   cancelled                anyone
    expire        pending (stale)       error                    the cron (queue TTL)

Each action is applied by the core state machine (`core/states.py`): one compare-and-set
UPDATE and its event, in one batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.config import Config
from ..core.states import Action, Machine, Rows

PENDING, PROCESSING, COMPLETE, ERROR, CANCELLED = "pending", "processing", "complete", "error", "cancelled"
STATUSES = (PENDING, PROCESSING, COMPLETE, ERROR, CANCELLED)
FINISHED = (COMPLETE, ERROR, CANCELLED)
EXPORT_JOBS = Machine(
    "export_jobs", "export", "export job", STATUSES, held_in=PROCESSING, lease_column="lease_id"
)


# A claim's lease: the request's fresh random token (`ids.token()`, bound as :lease_token) and
# the job's id without dashes, so each job taken by one claim has its own lease and no two
# claims share one.
LEASE_ID = ":lease_token || replace(id, '-', '')"

# The retry rule, shared by /fail and lease recovery. SQLite evaluates every SET expression
# against the row as it was before the UPDATE, so WILL_RETRY means the same in every line.
# Backoff: base · 2^retry_count, capped; `<<` because SQLite has no pow() by default. A job's
# own policy (retry_base_seconds, retry_cap_seconds; NULL: the vars) wins; the base is capped
# first so the shifted value stays far from 64-bit overflow.
WILL_RETRY = "(:retryable AND retry_count < max_retries)"
_CAP_MS = "coalesce(retry_cap_seconds * 1000, :retry_cap_ms)"
_BASE_MS = f"min(coalesce(retry_base_seconds * 1000, :retry_base_ms), {_CAP_MS})"
RETRY_RULE = f"""
    status = CASE WHEN {WILL_RETRY} THEN 'pending' ELSE 'error' END,
    retry_count = retry_count + CASE WHEN {WILL_RETRY} THEN 1 ELSE 0 END,
    available_at = CASE WHEN {WILL_RETRY}
        THEN :now + min({_BASE_MS} << retry_count, {_CAP_MS}) ELSE available_at END,
    progress = CASE WHEN {WILL_RETRY} THEN 0 ELSE progress END,
    runner_id = CASE WHEN {WILL_RETRY} THEN NULL ELSE runner_id END,
    runpod_job_id = CASE WHEN {WILL_RETRY} THEN NULL ELSE runpod_job_id END,
    lease_seconds = CASE WHEN {WILL_RETRY} THEN NULL ELSE lease_seconds END,
    completed_at = CASE WHEN {WILL_RETRY} THEN NULL ELSE :now END,
    lease_expires_at = NULL,
    error = :error"""
RETRY_DATA_FIELDS = """'error', error, 'retry_count', retry_count,
    'retry_at', CASE WHEN status = 'pending' THEN available_at END"""

CLAIM = Action(
    "claim",
    (PENDING,),
    (PROCESSING,),
    "claimed",
    # The lease: the claim's fresh token and the job's id, so each job of one claim has its own.
    f"""status = 'processing', runner_id = :runner_id, lease_seconds = :lease_seconds,
    lease_id = {LEASE_ID}, lease_expires_at = :now + :lease_seconds * 1000, started_at = :now""",
    event_data="""json_object('runner_id', runner_id, 'lease_id', lease_id,
        'lease_expires_at', lease_expires_at)""",
)
HEARTBEAT = Action(
    "heartbeat",
    (PROCESSING,),
    (PROCESSING,),
    None,
    # A lower progress than recorded is ignored: progress never decreases within an attempt.
    """progress = max(progress, coalesce(:progress, 0)),
    runpod_job_id = coalesce(:runpod_job_id, runpod_job_id),
    lease_expires_at = :now + lease_seconds * 1000""",
    runner_scoped=True,
)
COMPLETE_ACTION = Action(
    "complete",
    (PROCESSING,),
    (COMPLETE,),
    "completed",
    """status = 'complete', progress = 100, output_video_key = :output_video_key,
    result = :result, completed_at = :now, lease_expires_at = NULL, error = NULL""",
    runner_scoped=True,
    event_data="""json_object('runner_id', runner_id, 'lease_id', lease_id,
        'output_video_key', output_video_key, 'result', json(result))""",
    replay=("output_video_key", "result"),
)
FAIL = Action(
    "fail",
    (PROCESSING,),
    (PENDING, ERROR),
    "failed",
    RETRY_RULE,
    runner_scoped=True,
    event_data=f"""json_object({RETRY_DATA_FIELDS}, 'runner_id', :runner_id, 'lease_id', lease_id,
        'retryable', json(CASE WHEN :retryable THEN 'true' ELSE 'false' END))""",
    replay=("error", "retryable"),
)
EXPIRE_LEASE = Action(
    "expire_lease",
    (PROCESSING,),
    (PENDING, ERROR),
    "lease_expired",
    RETRY_RULE,
    guard="AND lease_expires_at <= :now",  # a heartbeat since the cron looked keeps the job
    event_data=f"json_object({RETRY_DATA_FIELDS})",
)
RETRY = Action(
    "retry",
    (ERROR, CANCELLED),
    (PENDING,),
    "retried",
    # A manual retry starts over: a fresh retry budget, claimable now, no trace of the last
    # attempt on the row (its history stays in the events).
    """status = 'pending', retry_count = 0, available_at = :now, progress = 0, error = NULL,
    runner_id = NULL, runpod_job_id = NULL, lease_seconds = NULL, lease_expires_at = NULL,
    lease_id = NULL, output_video_key = NULL, result = NULL, cancel_reason = NULL,
    started_at = NULL, completed_at = NULL""",
)
CANCEL = Action(
    "cancel",
    (PENDING, PROCESSING),
    (CANCELLED,),
    "cancelled",
    "status = 'cancelled', lease_expires_at = NULL, completed_at = :now, cancel_reason = :reason",
    event_data="CASE WHEN cancel_reason IS NULL THEN NULL ELSE json_object('reason', cancel_reason) END",
)
EXPIRE_QUEUED = Action(
    "expire",
    (PENDING,),
    (ERROR,),
    "expired",
    "status = 'error', error = :error, completed_at = :now",
    guard="AND available_at <= :cutoff",
    event_data="json_object('error', error)",
)

# The actions that end a runner's attempt: sent again under the same lease, they are answered.
ENDINGS = (COMPLETE_ACTION, FAIL)
ACTIONS = {
    a.name: a for a in (CLAIM, HEARTBEAT, COMPLETE_ACTION, FAIL, EXPIRE_LEASE, RETRY, CANCEL, EXPIRE_QUEUED)
}
# Claimable: pending and due, in claim order: the highest `priority` first, then the oldest
# `available_at`, then the oldest id (UUIDv7: arrival order), for every claim shape. Two partial
# indexes hold only pending jobs in that order (migration 0016): export_jobs_claimable for any
# type, and export_jobs_claimable_by_type, one range per type, for claims of some types; their
# ranges are merged (one arm per type, each ordered by the index: nothing is sorted). Filtering a
# single range by type instead walked past every due job of the other types (`make bench`).
# Within a priority, due jobs come first; a claim reads past jobs not yet due (start_after,
# backoff) only at a higher priority than the job it takes.
# Types are validated names (`[a-z][a-z0-9_-]*`), written into the SQL like the statuses above.
# INDEXED BY: without statistics SQLite prefers any (status, …) index and sorts every pending
# job; naming the partial index keeps the plan whatever the planner's version or statistics.
#
# Paused types (export_queue_pauses) make the range empty before it is entered: the index key
# is a subquery evaluated once, NULL while paused (an untyped claim: while any type is paused;
# the handler then claims by type over the types not paused). A condition such as `AND NOT
# EXISTS (…)` instead is checked on every row: a paused queue read all its pending jobs (D1).
# One job: `id = (…)` (the claim reads 4 rows); several: `id IN (…)`, whose list D1 also counts
# (6 rows per job).
# The outer UPDATE re-checks `status = 'pending'` (the CAS).
MAX_PRIORITY = 1_000_000
_DUE = "status = 'pending' AND available_at <= :now"
_ORDER = "ORDER BY priority DESC, available_at, id LIMIT :max_jobs"
# The row '*' is there while any type is paused (queues.py keeps it in the batch of each pause
# and resume): a key lookup, no row read while nothing is paused (a scan of the table, even
# empty, is billed one row on D1).
_ANY_PAUSED = "EXISTS (SELECT 1 FROM export_queue_pauses WHERE type = '*')"
# D1 allows at most 5 terms in a compound SELECT: beyond that, one range filtered by type (rows
# of the other types, and of paused ones, are read and skipped).
MAX_MERGED_TYPES = 5


# The index key of a type's range: NULL (an empty range) while the type is paused.
_TYPE_KEY = (
    "(SELECT CASE WHEN EXISTS (SELECT 1 FROM export_queue_pauses WHERE type = '{t}')"
    " THEN NULL ELSE '{t}' END)"
)
_ARM = (
    "SELECT id, priority, available_at FROM export_jobs INDEXED BY export_jobs_claimable_by_type"
    " WHERE {due} AND type = {key}"
)


def claimable_ids(types: Sequence[str] | None = None) -> str:
    """A SELECT of the ids of the first `:max_jobs` due pending jobs (of `types`, or of any
    type while no type is paused) in claim order."""
    if not types:
        top = f"(SELECT CASE WHEN {_ANY_PAUSED} THEN NULL ELSE {MAX_PRIORITY} END)"
        return (
            "SELECT id FROM export_jobs INDEXED BY export_jobs_claimable"
            f" WHERE {_DUE} AND priority <= {top} {_ORDER}"
        )
    if len(types) > MAX_MERGED_TYPES:
        listed = " OR ".join(f"type = {_TYPE_KEY.format(t=t)}" for t in types)
        return (
            "SELECT id FROM export_jobs INDEXED BY export_jobs_claimable"
            f" WHERE {_DUE} AND ({listed}) {_ORDER}"
        )
    arms = " UNION ALL ".join(_ARM.format(due=_DUE, key=_TYPE_KEY.format(t=t)) for t in types)
    return f"SELECT id FROM ({arms} {_ORDER})"


def next_claimable(types: Sequence[str] | None = None, *, batch: bool = False) -> Rows:
    """The rows a claim takes (`:max_jobs` of them; one unless `batch`)."""
    return Rows(
        f"id IN ({claimable_ids(types)})" if batch else f"id = ({claimable_ids(types)})",
        # The claimed ids are unknown to the event INSERT; the runner index (runner_id, status,
        # started_at) finds the rows: the claim set started_at = :now, so this is one index
        # entry per job claimed, however many jobs the runner holds (migration 0004).
        "runner_id = :runner_id AND status = 'processing' AND started_at = :now",
        one_row=not batch,
    )


def any_claimable_sql(types: Sequence[str] | None = None) -> str:
    return f"SELECT 1 AS found FROM ({claimable_ids(types)})"


NEXT_CLAIMABLE = next_claimable()
NEXT_CLAIMABLE_BATCH = next_claimable(batch=True)
ANY_CLAIMABLE_SQL = any_claimable_sql()
# After a claim of any type took nothing: is a job claimable (while nothing is paused), and which
# types are paused (a JSON array)? One statement for both answers.
UNTYPED_CHECK_SQL = f"""
SELECT (SELECT 1 FROM ({claimable_ids()})) AS found,
  (SELECT json_group_array(type) FROM (SELECT type FROM export_queue_pauses WHERE type <> '*' LIMIT 1000))
    AS paused
"""


def retry_settings(config: Config) -> dict[str, int]:
    """The backoff vars as bound values. The base is capped first so the shifted value
    stays far from 64-bit overflow whatever the vars say."""
    cap_ms = config.export_retry_cap_seconds * 1000
    return {"retry_base_ms": min(config.export_retry_base_seconds * 1000, cap_ms), "retry_cap_ms": cap_ms}
