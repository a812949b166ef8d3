"""The state machine mechanism, written once for every kind of record with a status: which
action moves a record from which statuses to which, and the one compare-and-set batch that
applies any of them.

A capability declares its `Machine` (table, event kind, statuses) and its `Action`s. Every
action is one `UPDATE <table> … WHERE <rows> AND status IN (<from>) [AND <guard>] RETURNING *`:
a compare-and-set on the status (and, for an action scoped to the holder of a lease, on
`runner_id` and the lease of its claim), so of two racing requests exactly one wins. The
batch's second statement records the event for the rows the UPDATE changed (see events.py),
so a lost race writes nothing at all. Callers learn what happened from the returned rows alone.

A table driven this way has `id`, `status`, `updated_at`, `previous_status` and
`transition_id` (the event convention of events.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from . import ids
from .db import Database, Statement, named
from .errors import ApiError, Conflict, LeaseLost, NotFound
from .events import event_after_change


class Machine(NamedTuple):
    """A kind of record with a status."""

    table: str  # where the records live
    kind: str  # their `job_events.job_kind`
    noun: str  # how messages name one ("export job")
    statuses: tuple[str, ...]
    held_in: str | None = None  # the status in which a runner holds a record under a lease
    lease_column: str | None = None  # fencing: the holder's calls must also name this lease


class Action(NamedTuple):
    """One row of a state machine."""

    name: str
    sources: tuple[str, ...]  # statuses the action applies to
    targets: tuple[str, ...]  # statuses it can lead to (two: a rule in `assignments` decides)
    event: str | None  # the job_events.event it records; None: no status change (heartbeat)
    assignments: str  # SQL SET fragment, evaluated against the row as it was
    runner_scoped: bool = False  # only the runner holding the record may act: else `lease_lost`
    guard: str = ""  # extra WHERE condition (`AND …`)
    event_data: str = "NULL"  # SQL expression over the changed row: the event's `data`
    # An action that ends a lease holder's attempt (complete, fail): the request fields its event
    # records besides runner_id and the lease, so that the same call sent again under the same
    # lease (its answer was lost) is answered instead of refused; see `replayed`.
    replay: tuple[str, ...] = ()


class Rows(NamedTuple):
    """Which rows an action applies to: the UPDATE's condition, and how the event INSERT
    finds those rows again cheaply (it adds `transition_id = :transition_id`)."""

    update_where: str
    event_where: str
    one_row: bool = False  # at most one row: the event INSERT stops at it (see event_after_change)


BY_ID = Rows("id = :id", "id = :id")
BY_IDS = Rows("id IN (SELECT value FROM json_each(:ids))", "id IN (SELECT value FROM json_each(:ids))")


def id_list(record_ids: Sequence[str]) -> dict[str, str]:
    """The bound value for `BY_IDS`."""
    return {"ids": json.dumps(list(record_ids))}


# `+status`: the compare-and-set must not steer the query planner. Rows are found by id (or
# by a subquery); without the `+`, SQLite may prefer a (status, …) index for a list of ids
# and walk every record in that status.
TRANSITION_SQL = """
UPDATE {table}
SET previous_status = status, transition_id = :transition_id, updated_at = :now,
    {assignments}
WHERE {where} AND +status IN ({sources}) {guard}
RETURNING *
"""


def transition_sql(machine: Machine, action: Action, rows: Rows) -> str:
    sources = ", ".join(f"'{status}'" for status in action.sources)  # constants, not input
    guard = action.guard
    if action.runner_scoped:
        # `IS`: a record claimed before it had a lease column (NULL) matches a call without one.
        lease = f" AND {machine.lease_column} IS :lease_id" if machine.lease_column else ""
        guard = f"AND runner_id = :runner_id{lease} {action.guard}"
    return TRANSITION_SQL.format(
        table=machine.table,
        assignments=action.assignments,
        where=rows.update_where,
        sources=sources,
        guard=guard,
    )


def transition_statements(
    machine: Machine, action: Action, rows: Rows, values: Mapping[str, object]
) -> list[Statement]:
    """The statements of one transition (the conditional UPDATE and, if the action records
    events, the event of every row it changed), for a batch of their own or a larger one. A
    `transition_id` in `values` is used as the change's token (for statements the caller adds
    after these that find the changed rows by it); else a fresh one is drawn."""
    bound = {"transition_id": ids.token(), **values, "job_kind": machine.kind, "event": action.event}
    statements = [named(transition_sql(machine, action, rows), bound)]
    if action.event is not None:
        statements.append(
            event_after_change(
                machine.table, rows.event_where, bound, action.event_data, one_row=rows.one_row
            )
        )
    return statements


async def apply(
    db: Database, machine: Machine, action: Action, rows: Rows, values: Mapping[str, object]
) -> list[dict[str, Any]]:
    """Apply `action` to `rows` in one batch. Returns the changed rows (empty when nothing was
    in an allowed state: nothing was written)."""
    results = await db.batch(transition_statements(machine, action, rows, values))
    return results[0].rows


# The event that ended an attempt: at most one per lease (its `data` names the lease). Read by
# job_events_by_job: the events of one record, a few per attempt.
ATTEMPT_ENDED_SQL = """
SELECT event, data FROM job_events
WHERE job_kind = ?1 AND job_id = ?2 AND event IN (SELECT value FROM json_each(?3))
  AND json_extract(data, '$.lease_id') = ?4
ORDER BY id DESC LIMIT 1
"""


async def replayed(
    db: Database,
    machine: Machine,
    action: Action,
    record_id: str,
    values: Mapping[str, object],
    endings: Sequence[Action],
) -> bool:
    """After `action` (one of `endings`) changed nothing: whether it repeats the call that
    already ended the attempt under `values["lease_id"]` (same action, runner and fields). Then
    the caller answers with the record as it is and writes nothing. Conflict when that attempt
    ended otherwise (another action or other fields); False when none of `endings` ended it."""
    lease_id = values.get("lease_id")
    if not action.replay or not isinstance(lease_id, str):
        return False
    events = json.dumps([ending.event for ending in endings])
    row = await db.first(ATTEMPT_ENDED_SQL, machine.kind, record_id, events, lease_id)
    if row is None:
        return False
    data = json.loads(row["data"])
    if data.get("runner_id") != values.get("runner_id"):
        return False  # the lease is someone else's: refused as usual
    if row["event"] == action.event and all(_same(data.get(f), values.get(f)) for f in action.replay):
        return True
    raise Conflict(
        f"The attempt under lease {lease_id!r} already ended ({row['event']}) with another request;"
        f" {machine.noun} {record_id} is unchanged.",
        details={"event": row["event"]},
    )


def _same(recorded: object, sent: object) -> bool:
    """An event's field against the request's bound value (JSON objects are bound as text)."""
    if isinstance(recorded, (dict, list)) and isinstance(sent, str):
        return recorded == json.loads(sent)
    return recorded == sent


def refusal(
    machine: Machine,
    action: Action,
    record: Mapping[str, Any] | None,
    record_id: str,
    runner_id: str | None,
    lease_id: str | None = None,
) -> ApiError:
    """Why `action` changed nothing, given the record as it is now (None: it does not exist)."""
    noun = machine.noun
    if record is None:
        return NotFound(f"No {noun} {record_id}.")
    status = record["status"]
    held = status == machine.held_in and record["runner_id"] == runner_id
    same_lease = machine.lease_column is None or record.get(machine.lease_column) == lease_id
    holds = held and same_lease
    if status in action.sources and (holds or not action.runner_scoped):
        return Conflict(
            f"{noun.capitalize()} {record_id} changed while this request ran (it is {status}); try again."
        )
    if action.runner_scoped and not holds:
        holder = f" by runner {record['runner_id']!r}" if status == machine.held_in else ""
        if held:
            holder += (
                " under another lease (a later claim)"
                if lease_id
                else " under a lease this call did not send"
            )
        lease = f" under lease {lease_id!r}" if machine.lease_column and lease_id else ""
        return LeaseLost(
            f"Runner {runner_id!r} no longer holds {noun} {record_id}{lease}: it is {status}{holder}.",
            details={"status": status},
        )
    return Conflict(
        f"Cannot {action.name} {noun} {record_id}: it is {status}; "
        f"{action.name} applies to {' or '.join(action.sources)} {noun}s.",
        details={"status": status, "allowed_from": list(action.sources)},
    )
