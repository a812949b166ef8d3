"""Export job queue: GPU runners claim jobs under a lease, with retries and backoff."""

from ..core.capability import Capability
from ..core.config import DAY, Setting
from .api import ROUTES, SCHEMAS
from .model import DEFAULT_TYPES, parse_job_types
from .tasks import TASKS

SETTINGS = (
    Setting("export_retry_base_seconds", 30),
    Setting("export_retry_cap_seconds", 3600),
    Setting("export_retention_seconds", 30 * DAY),
    Setting("export_queue_ttl_seconds", 0),
    Setting("idempotency_ttl_seconds", DAY),
    Setting("export_job_types", DEFAULT_TYPES, parse_job_types),
)

CAPABILITY = Capability("export_jobs", routes=ROUTES, schemas=SCHEMAS, tasks=TASKS, settings=SETTINGS)
