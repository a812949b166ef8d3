"""VEO job cache: cross-device history of whole job objects, with a TTL by status."""

from ..core.capability import Capability
from ..core.config import DAY, Setting
from .api import ROUTES, SCHEMAS
from .tasks import TASKS

SETTINGS = (
    Setting("veo_ttl_completed_seconds", 7 * DAY),
    Setting("veo_ttl_failed_seconds", 2 * DAY),
    Setting("veo_ttl_partial_seconds", 2 * DAY),
    Setting("veo_ttl_default_seconds", 7 * DAY),
)

CAPABILITY = Capability("veo_jobs", routes=ROUTES, schemas=SCHEMAS, tasks=TASKS, settings=SETTINGS)
