"""Outbound webhooks: subscriptions, signed deliveries of job events from an outbox, retried
on a schedule (docs/webhooks.md)."""

from ..core.capability import Capability
from ..core.config import DAY, Setting, boolean
from .api import ROUTES, SCHEMAS
from .dispatch import after_write
from .tasks import TASKS

# The spec's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h after each failure.
RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)


def retry_schedule(text: str, env_name: str) -> tuple[int, ...]:
    """Comma-separated seconds, 1 to 20 steps, each 1 s to 7 days."""
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"var {env_name} must be comma-separated seconds, got {text[:80]!r}") from None
    if not 1 <= len(steps) <= 20 or not all(1 <= s <= 7 * DAY for s in steps):
        raise ValueError(f"var {env_name} must hold 1 to 20 steps of 1 s to 7 days, got {text[:80]!r}")
    return steps


SETTINGS = (
    Setting("webhook_allow_http", False, boolean),
    Setting("webhook_timeout_seconds", 15),
    Setting("webhook_retry_schedule", RETRY_SCHEDULE, retry_schedule),
    Setting("webhook_max_per_run", 40),
    Setting("webhook_max_per_subscription", 10),
    Setting("webhook_send_after_write", True, boolean),
    Setting("webhook_max_after_write", 10),
    Setting("webhook_quick_retry_seconds", 10),
    Setting("webhook_outbox_chunk", 100),
    Setting("webhook_recheck_seconds", 60),
    Setting("webhook_retention_seconds", 30 * DAY),
)

CAPABILITY = Capability(
    "webhooks", routes=ROUTES, schemas=SCHEMAS, tasks=TASKS, settings=SETTINGS, after_write=after_write
)
