"""Providers: Replicate and RunPod adapters on the outbound seam, their webhooks, and the
cron's resync of export jobs with RunPod. See docs/providers.md."""

from ..core.capability import Capability
from ..core.chunks import CronTask
from ..core.config import Setting
from . import replicate, runpod
from .api import ROUTES, SCHEMAS
from .config import base_url, optional_base_url, positive_seconds
from .resync import resync_export_jobs
from .tasks import delete_expired_webhook_ids

SETTINGS = (
    Setting("replicate_api_base", replicate.DEFAULT_BASE, base_url),
    Setting("replicate_api_token", "", None),
    Setting("replicate_webhook_secret", "", None),
    Setting("runpod_api_base", runpod.DEFAULT_BASE, base_url),
    Setting("runpod_api_key", "", None),
    Setting("runpod_webhook_token", "", None),
    Setting("runpod_export_endpoint", "", None),
    Setting("provider_sync_max_per_run", 50),
    Setting("provider_timeout_seconds", 10.0, positive_seconds),
    # videos at their provider
    Setting("public_base_url", "", optional_base_url),  # the webhook URLs sent with a submission
    Setting("video_refresh_seconds", 10),  # a GET of a running video older than this asks first
)

TASKS = (
    CronTask("export_jobs_resynced", resync_export_jobs, repairs=True),
    CronTask("provider_webhook_ids_deleted", delete_expired_webhook_ids),
)

CAPABILITY = Capability("providers", routes=ROUTES, schemas=SCHEMAS, tasks=TASKS, settings=SETTINGS)
