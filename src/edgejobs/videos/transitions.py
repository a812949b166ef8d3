"""One change of a video as the statements of its batch: the state machine's compare-and-set
and its event. What follows from it (the owner's and every video's usage rows, the refund, the
generation's counts) is kept by triggers on the UPDATE (`videos_counted_*`), so a change that
lost a race updates no row and writes nothing at all. Used by the routes (changes.py) and by
the provider sync (provider_sync.py)."""

from __future__ import annotations

from collections.abc import Mapping

from ..core import ids, states
from ..core.db import Statement
from ..core.states import Action, Rows
from . import machine
from .machine import VIDEOS

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
    """The transition and its event (the counts follow from the transition: triggers)."""
    rows: Rows = machine.ONE_VIDEO_MOVED if action.sources != action.targets else machine.ONE_VIDEO
    return states.transition_statements(VIDEOS, action, rows, {**values, "transition_id": ids.token()})
