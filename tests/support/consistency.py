"""The consistency check: reads D1 directly (through the local runtime's `/__runtime/sql`,
which never sees injected faults) and reports everything that looks half-written.

What it checks, and why each rule holds by construction (see the modules named):

VEO jobs (veo/: metadata and payload are one batch)
  - no `veo_jobs` row without its `veo_job_data` payload, and no payload without its row;
  - the payload's size is `stored_bytes`; decompressed, its size is `size_bytes`, its hash is
    the `etag`, and the metadata extracted from it is what the row holds (so metadata and
    payload come from the same write); `revision` ≥ 1, `created_at` ≤ `updated_at`.
Export jobs (core/states.py: every status change is one UPDATE batched with its event)
  - every job has events; the first is `created` (→ pending); each event is a legal step of
    the state machine (`LEGAL_EVENTS`, the README's) and starts where the previous one ended; the
    last one ends in the job's status; outside `processing` (heartbeats write no event) the
    last event's time is the job's `updated_at`; no event names a missing job;
  - `completed` / `failed` name the runner of the claim they end;
  - per status: `processing` has a runner, a lease and `started_at`; `pending` has no runner,
    no lease, progress 0; finished jobs have `completed_at` and no lease; `complete` has
    progress 100 and an output key; `retry_count` ≤ `max_retries`.
Idempotency keys (exports/, videos/: the key, the job and its event are one batch)
  - a live key names an existing export job or video created at the key's `created_at` (a job can outlive
    its key, and a key may outlive a job purged after retention only when the retention is
    shorter than the key's TTL: `keys_may_outlive_jobs`).
Maintenance runs (maintenance/)
  - every run is finished (`finished_at` ≥ `started_at`, counts a JSON object) unless its
    id is in `unfinished_runs_allowed`: a run whose last D1 call failed stays unfinished.

Idempotency keys name an export job or a video (a video's key is taken in its create batch).
Videos, usage rows and generations: see consistency_videos.py (event trails, counts by status,
the month's charges net of refunds, each generation's counts).
Webhooks: see consistency_webhooks.py (every event a subscription's cursor has passed has
exactly one delivery).

`check(...)` returns findings (strings naming the row); `assert_consistent(...)` fails with
them. Scope it to some VEO ids / export job ids / video owners, or leave a scope None for
every row.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from typing import Any

from edgejobs.veo import model as veo_model
from edgejobs.veo import sql as veo_sql
from tests.support.consistency_videos import check_videos
from tests.support.consistency_webhooks import check_webhooks

Sql = Callable[..., list[dict[str, Any]]]
IN_CHUNK = 90  # D1 binds at most 100 parameters per statement

# (event, from_status, to_status): the state machine the README describes, written out
# here rather than taken from exports/machine.py, so that the check does not trust the code it checks.
LEGAL_EVENTS: set[tuple[str, str | None, str]] = {
    ("created", None, "pending"),
    ("claimed", "pending", "processing"),
    ("completed", "processing", "complete"),
    ("failed", "processing", "pending"),
    ("failed", "processing", "error"),
    ("lease_expired", "processing", "pending"),
    ("lease_expired", "processing", "error"),
    ("retried", "error", "pending"),
    ("retried", "cancelled", "pending"),
    ("cancelled", "pending", "cancelled"),
    ("cancelled", "processing", "cancelled"),
    ("expired", "pending", "error"),
}
STATUSES = ("pending", "processing", "complete", "error", "cancelled")
FINISHED = ("complete", "error", "cancelled")
RUNNER_EVENTS = ("completed", "failed")  # events that carry the runner ending its own claim


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def _rows(sql: Sql, query: str, ids: Collection[str] | None, column: str) -> list[dict[str, Any]]:
    """`query` has a `{scope}` placeholder: all rows, or those whose `column` is in `ids`."""
    if ids is None:
        return sql(query.format(scope="1"))
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(set(ids))):
        marks = ", ".join("?" for _ in chunk)
        rows += sql(query.format(scope=f"{column} IN ({marks})"), *chunk)
    return rows


# --- VEO jobs --------------------------------------------------------------------------------------
def check_veo(sql: Sql, job_ids: Collection[str] | None = None, *, deep: bool = True) -> list[str]:
    findings = []
    for row in _rows(
        sql,
        "SELECT j.job_id FROM veo_jobs AS j LEFT JOIN veo_job_data AS d ON d.job_id = j.job_id"
        " WHERE d.job_id IS NULL AND {scope}",
        job_ids,
        "j.job_id",
    ):
        findings.append(f"veo {row['job_id']!r}: metadata without payload")
    for row in _rows(
        sql,
        "SELECT d.job_id FROM veo_job_data AS d LEFT JOIN veo_jobs AS j ON j.job_id = d.job_id"
        " WHERE j.job_id IS NULL AND {scope}",
        job_ids,
        "d.job_id",
    ):
        findings.append(f"veo {row['job_id']!r}: payload without metadata")
    columns = ", ".join(f"j.{name}" for name in veo_sql.METADATA_COLUMNS.split(", "))
    data = "hex(d.data) AS data" if deep else "NULL AS data"
    for row in _rows(
        sql,
        f"SELECT {columns}, j.revision, length(d.data) AS data_length, {data}"
        " FROM veo_jobs AS j JOIN veo_job_data AS d ON d.job_id = j.job_id WHERE {scope}",
        job_ids,
        "j.job_id",
    ):
        findings += _check_veo_row(row)
    return findings


def _check_veo_row(row: dict[str, Any]) -> list[str]:
    name = f"veo {row['job_id']!r}"
    findings = []
    if row["data_length"] != row["stored_bytes"]:
        findings.append(
            f"{name}: payload is {row['data_length']} bytes, stored_bytes says {row['stored_bytes']}"
        )
    if row["revision"] < 1 or row["created_at"] > row["updated_at"]:
        findings.append(f"{name}: revision {row['revision']}, created_at > updated_at or both")
    if row["data"] is None:
        return findings
    try:
        canonical = gzip.decompress(bytes.fromhex(row["data"]))
        obj = json.loads(canonical)
    except (OSError, EOFError, ValueError) as exc:
        return [*findings, f"{name}: payload does not decode ({exc})"]
    if len(canonical) != row["size_bytes"]:
        findings.append(
            f"{name}: payload is {len(canonical)} bytes of JSON, size_bytes says {row['size_bytes']}"
        )
    etag = '"' + hashlib.sha256(canonical).hexdigest()[:32] + '"'
    if etag != row["etag"]:
        findings.append(f"{name}: payload hashes to {etag}, the row's etag is {row['etag']}")
    try:
        meta = veo_model.extract_metadata(obj)
    except Exception as exc:  # noqa: BLE001 - a stored object that no longer validates is a finding
        return [*findings, f"{name}: stored object is not valid metadata ({exc})"]
    stored = tuple(
        bool(row[f]) if f == "has_script" else row[f]
        for f in ("status", "video_id", "video_url", "scene_count", "characters_found", "mode", "voice",
                  "has_script", "error")
    )  # fmt: skip
    if tuple(meta) != stored:
        findings.append(f"{name}: metadata {stored} is not what the payload holds {tuple(meta)}")
    return findings


# --- export jobs -----------------------------------------------------------------------------------
def check_export(sql: Sql, job_ids: Collection[str] | None = None) -> list[str]:
    jobs = {row["id"]: row for row in _rows(sql, "SELECT * FROM export_jobs WHERE {scope}", job_ids, "id")}
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in _rows(
        sql,
        "SELECT id, job_id, event, from_status, to_status, data, at FROM job_events"
        " WHERE job_kind = 'export' AND {scope} ORDER BY id",
        job_ids,
        "job_id",
    ):
        events[event["job_id"]].append(event)
    findings = [f"export {job_id}: {len(trail)} event(s) of a missing job" for job_id, trail in
                events.items() if job_id not in jobs]  # fmt: skip
    for job_id, job in jobs.items():
        findings += [f"export {job_id}: {problem}" for problem in _job_problems(job, events.get(job_id, []))]
    return findings


def _job_problems(job: dict[str, Any], trail: list[dict[str, Any]]) -> list[str]:
    problems = _status_problems(job)
    if not trail:
        return [*problems, f"is {job['status']} with no events"]
    if (trail[0]["event"], trail[0]["from_status"]) != ("created", None):
        problems.append(f"history starts with {trail[0]['event']} from {trail[0]['from_status']}")
    holder = None  # runner of the latest claim
    for previous, event in zip([None, *trail], trail, strict=False):
        step = (event["event"], event["from_status"], event["to_status"])
        if step not in LEGAL_EVENTS:
            problems.append(f"event {event['id']} {step} is not a transition of the state machine")
        if previous is not None and event["from_status"] != previous["to_status"]:
            problems.append(
                f"event {event['id']} starts from {event['from_status']} but the previous one "
                f"(event {previous['id']}) ended in {previous['to_status']}"
            )
        data = json.loads(event["data"]) if event["data"] else {}
        if event["event"] == "claimed":
            holder = data.get("runner_id")
        elif event["event"] in RUNNER_EVENTS and data.get("runner_id") != holder:
            problems.append(
                f"event {event['id']} {event['event']} by {data.get('runner_id')!r}, "
                f"but the job was claimed by {holder!r}"
            )
    last = trail[-1]
    if last["to_status"] != job["status"]:
        problems.append(
            f"is {job['status']} but its last event (event {last['id']}) says {last['to_status']}"
        )
    elif job["status"] != "processing" and last["at"] != job["updated_at"]:
        problems.append(f"was last changed at {job['updated_at']} but its last event is at {last['at']}")
    return problems


def _status_problems(job: dict[str, Any]) -> list[str]:
    status = job["status"]
    problems = []
    if status not in STATUSES:
        return [f"has unknown status {status!r}"]
    if status == "processing":
        missing = [
            f for f in ("runner_id", "lease_expires_at", "lease_seconds", "started_at") if job[f] is None
        ]
        if missing:
            problems.append(f"is processing without {', '.join(missing)}")
        if job["completed_at"] is not None:
            problems.append("is processing with completed_at set")
    else:
        if job["lease_expires_at"] is not None:
            problems.append(f"is {status} but holds a lease")
    if status == "pending":
        if job["runner_id"] is not None or job["lease_seconds"] is not None:
            problems.append(
                f"is pending but names runner {job['runner_id']!r} / lease {job['lease_seconds']}"
            )
        if job["progress"] != 0 or job["completed_at"] is not None:
            problems.append(
                f"is pending with progress {job['progress']} / completed_at {job['completed_at']}"
            )
    if status in FINISHED and job["completed_at"] is None:
        problems.append(f"is {status} without completed_at")
    if status == "complete" and (job["progress"] != 100 or job["output_video_key"] is None):
        problems.append(f"is complete with progress {job['progress']} / output {job['output_video_key']!r}")
    if not 0 <= job["retry_count"] <= job["max_retries"]:
        problems.append(f"retry_count {job['retry_count']} outside 0..{job['max_retries']}")
    return problems


# --- idempotency keys and maintenance runs ------------------------------------------------------------
def check_idempotency_keys(
    sql: Sql, job_ids: Collection[str] | None = None, *, keys_may_outlive_jobs: bool = False
) -> list[str]:
    now = int(time.time() * 1000)
    findings = []
    for row in _rows(
        sql,
        "SELECT k.idempotency_key, k.job_id, k.created_at, k.expires_at,"
        " coalesce(j.id, v.id) AS found, coalesce(j.created_at, v.created_at) AS job_created"
        " FROM idempotency_keys AS k LEFT JOIN export_jobs AS j ON j.id = k.job_id"
        " LEFT JOIN videos AS v ON v.id = k.job_id WHERE {scope}",
        job_ids,
        "k.job_id",
    ):
        name = f"idempotency key {row['idempotency_key']!r}"
        if row["found"] is None:
            if row["expires_at"] > now and not keys_may_outlive_jobs:
                findings.append(f"{name}: names missing export job or video {row['job_id']}")
        elif row["created_at"] != row["job_created"]:
            findings.append(
                f"{name}: made at {row['created_at']}, its job {row['job_id']} at {row['job_created']}"
            )
    return findings


def check_maintenance_runs(sql: Sql, unfinished_runs_allowed: Collection[int] = ()) -> list[str]:
    findings = []
    for row in sql("SELECT id, started_at, finished_at, counts FROM maintenance_runs"):
        if row["finished_at"] is None:
            if row["id"] not in unfinished_runs_allowed:
                findings.append(f"maintenance run {row['id']}: never finished")
            continue
        if row["finished_at"] < row["started_at"]:
            findings.append(f"maintenance run {row['id']}: finished before it started")
        try:
            counts = json.loads(row["counts"])
        except ValueError:
            counts = None
        if not isinstance(counts, dict) or not all(isinstance(v, int) for v in counts.values()):
            findings.append(
                f"maintenance run {row['id']}: counts {row['counts']!r} are not a JSON object of ints"
            )
    return findings


# --- all of it ---------------------------------------------------------------------------------------
def check(
    sql: Sql,
    *,
    veo_ids: Collection[str] | None = None,
    export_ids: Collection[str] | None = None,
    video_owners: Collection[str] | None = None,
    unfinished_runs_allowed: Collection[int] = (),
    keys_may_outlive_jobs: bool = False,
    deep: bool = True,
) -> list[str]:
    """Every finding, as one string each; empty when the data is consistent."""
    return [
        *check_veo(sql, veo_ids, deep=deep),
        *check_export(sql, export_ids),
        *check_videos(sql, video_owners),
        *check_idempotency_keys(sql, export_ids, keys_may_outlive_jobs=keys_may_outlive_jobs),
        *check_maintenance_runs(sql, unfinished_runs_allowed),
        *check_webhooks(sql),
    ]


def assert_consistent(sql: Sql, **scope: Any) -> None:
    findings = check(sql, **scope)
    assert not findings, f"{len(findings)} consistency finding(s):\n  " + "\n  ".join(findings[:50])
