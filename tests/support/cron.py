"""Trigger the Worker's scheduled handler the way the local runtime's cron would."""

from __future__ import annotations

import httpx

CRON = "*/5 * * * *"


def trigger_cron(base_url: str, timeout: float = 300) -> httpx.Response:
    """One scheduled run; the answer as it came (a run may fail on purpose in fault tests)."""
    return httpx.get(f"{base_url}/cdn-cgi/handler/scheduled", params={"cron": CRON}, timeout=timeout)


def run_cron(base_url: str, timeout: float = 300) -> None:
    """One scheduled run that must succeed."""
    response = trigger_cron(base_url, timeout)
    assert response.status_code == 200, response.text
