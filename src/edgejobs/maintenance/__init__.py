"""Maintenance: the cron's bounded runs of every capability's tasks, and their log."""

from ..core.capability import Capability
from ..core.config import DAY, Setting
from .api import ROUTES, SCHEMAS
from .runs import TASKS

SETTINGS = (
    Setting("maintenance_chunk_rows", 500),
    Setting("maintenance_max_statements", 40),
    Setting("maintenance_time_budget_ms", 20_000),
    Setting("maintenance_run_retention_seconds", 30 * DAY),
)

CAPABILITY = Capability("maintenance", routes=ROUTES, schemas=SCHEMAS, tasks=TASKS, settings=SETTINGS)
