"""One change of a video as the statements of its batch: the state machine's compare-and-set
and its event, then what follows it (the owner's and every video's usage rows, the refund, the
generation's counts), each finding the video by the transition's token, so a change that lost
a race writes nothing at all. Used by the routes (changes.py) and by the provider sync
(provider_sync.py)."""

from __future__ import annotations

from collections.abc import Mapping

from ..core import ids, states
from ..core.db import Statement, named
from ..core.states import Action, Rows
from . import machine
from .machine import VIDEOS
from .sql import ARCHIVED_USAGE_SQL, DELETED_USAGE_SQL, MOVE_GENERATION_SQL, MOVE_USAGE_SQL

# Every field a change may report, none unless given.
NOTHING_REPORTED: dict[str, object] = {
    "progress": None,
    "provider_job_id": None,
    "file_url": None,
    "thumbnail_url": None,
    "expires_at": None,
    "error": None,
}


def change_statements(action: Action, values: Mapping[str, object]) -> list[Statement]:
    """The transition, its event, and what follows it in the batch."""
    rows: Rows = machine.ONE_VIDEO_MOVED if action.sources != action.targets else machine.ONE_VIDEO
    bound = {**values, "transition_id": ids.token()}
    statements = states.transition_statements(VIDEOS, action, rows, bound)
    if action is machine.ARCHIVE:
        statements.append(named(ARCHIVED_USAGE_SQL, bound))
    elif action is machine.DELETE:
        statements.append(named(DELETED_USAGE_SQL, bound))
    elif action.event is not None and action is not machine.REMIXED:
        statements += [named(MOVE_USAGE_SQL, bound), named(MOVE_GENERATION_SQL, bound)]
    return statements
