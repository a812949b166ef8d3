"""VEO job cache: cross-device history of whole job objects, with a TTL by status."""

from ..core.capability import Capability
from ..core.config import DAY, Setting, boolean
from .api import ROUTES, SCHEMAS
from .tasks import TASKS

SETTINGS = (
    Setting("veo_ttl_completed_seconds", 7 * DAY),
    Setting("veo_ttl_failed_seconds", 2 * DAY),
    Setting("veo_ttl_partial_seconds", 2 * DAY),
    Setting("veo_ttl_default_seconds", 7 * DAY),
    # true: every user token sees and changes every VEO job (the original shared pool).
    Setting("veo_shared_pool", False, boolean),
)

CAPABILITY = Capability("veo_jobs", routes=ROUTES, schemas=SCHEMAS, tasks=TASKS, settings=SETTINGS)
