"""Which events a subscription can name, and what an event of `job_events` is called.

An event's type is `<resource>.<event>`: the job kind's resource name and the event the state
machine recorded (`export` + `completed` → `export_job.completed`). A job kind not listed here
is delivered under its own name to subscriptions of `*`, so new kinds join without a change
here; listing one lets subscriptions name its events and check them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..core.errors import ValidationError

# job_events.job_kind → (resource name, the events its state machine records)
RESOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "export": (
        "export_job",
        ("created", "claimed", "completed", "failed", "lease_expired", "retried", "cancelled", "expired"),
    ),
}
EVENT_TYPES: tuple[str, ...] = tuple(
    f"{resource}.{event}" for resource, events in RESOURCES.values() for event in events
)
_NAMES = {resource for resource, _ in RESOURCES.values()}
_PATTERN = re.compile(r"\*|[a-z][a-z0-9_]{0,31}\.(\*|[a-z][a-z0-9_]{0,31})")
MAX_PATTERNS = 50


def event_type(job_kind: str, event: str) -> str:
    resource = RESOURCES.get(job_kind, (job_kind, ()))[0]
    return f"{resource}.{event}"


def matches(patterns: Sequence[str], type_: str) -> bool:
    """Whether a subscription to `patterns` receives events of `type_`."""
    resource = type_.split(".", 1)[0]
    return any(p == "*" or p == type_ or p == f"{resource}.*" for p in patterns)


def parse_patterns(value: object, field: str = "events") -> list[str]:
    """A subscription's `events`: 1 to 50 known names, `<resource>.*` or `*` (duplicates
    dropped, order kept)."""
    if not isinstance(value, list) or not value:
        raise ValidationError(f"Field {field!r} must be a non-empty list of event names.", field=field)
    if len(value) > MAX_PATTERNS:
        raise ValidationError(f"Field {field!r} may hold at most {MAX_PATTERNS} names.", field=field)
    patterns: list[str] = []
    for item in value:
        if not isinstance(item, str) or not _PATTERN.fullmatch(item):
            raise ValidationError(
                f"Field {field!r}: each entry is an event name like 'export_job.completed', "
                "a pattern like 'export_job.*', or '*'.",
                field=field,
            )
        resource, _, event = item.partition(".")
        if item != "*" and (resource not in _NAMES or (event != "*" and item not in EVENT_TYPES)):
            raise ValidationError(
                f"Field {field!r}: unknown event {item!r}; known: {', '.join(known_names())}.",
                field=field,
                details={"known": list(known_names())},
            )
        if item not in patterns:
            patterns.append(item)
    return patterns


def known_names() -> Iterable[str]:
    yield "*"
    for resource in sorted(_NAMES):
        yield f"{resource}.*"
    yield from EVENT_TYPES
