"""Report snapshots, `/api/reports`: one JSON document per type and date, gzip-compressed, with
revisions, ETags and a retention cron task."""

from ..core.capability import Capability
from ..core.chunks import CronTask
from ..core.config import Setting
from .api import ROUTES, SCHEMAS
from .tasks import expire_reports

SETTINGS = (Setting("report_retention_days", 0),)  # 0 = keep every snapshot
TASKS = (CronTask("reports_expired", expire_reports),)

CAPABILITY = Capability("reports", routes=ROUTES, schemas=SCHEMAS, tasks=TASKS, settings=SETTINGS)
