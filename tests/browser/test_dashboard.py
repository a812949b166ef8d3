"""The dashboard in a real browser against the local runtime, with data made through the API:
no console errors and no request to another origin, the token prompt and the 401 path, tiles
equal to `/api/stats`, Retry on a failed export job, the completions chart, a job run's report,
and a 375 px wide layout without horizontal scrolling. Screenshots are saved (see conftest)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.browser import screenshot
from tests.support.runtime import TEST_TOKEN, LocalRuntime

HOUR_MS = 3_600_000


def claim(api: httpx.Client, runner: str) -> dict[str, Any]:
    answer = api.post("/api/export-jobs/claim", json={"runner_id": runner})
    assert answer.status_code == 200, answer.text
    return answer.json()


def create_job(api: httpx.Client, job_type: str = "framing", project: int = 1) -> dict[str, Any]:
    body = {"project_id": project, "type": job_type, "input_video_key": f"uploads/{uuid.uuid4().hex[:6]}.mp4"}
    answer = api.post("/api/export-jobs", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def failed_job(api: httpx.Client, error: str) -> dict[str, Any]:
    """A job that failed for good: claimed, then failed as not retryable."""
    create_job(api, "overlay", 7)
    job = claim(api, "gpu-runner-2")
    answer = api.post(
        f"/api/export-jobs/{job['id']}/fail",
        json={"runner_id": "gpu-runner-2", "lease_id": job["lease_id"], "error": error, "retryable": False},
    )
    assert answer.status_code == 200 and answer.json()["status"] == "error", answer.text
    return answer.json()


@pytest.fixture(scope="module")
def data(api: httpx.Client, site: LocalRuntime) -> dict[str, Any]:
    """A working day's worth of records, made through the API."""
    for _ in range(3):
        create_job(api, "framing", 3)
        done = claim(api, "gpu-runner-1")
        api.post(
            f"/api/export-jobs/{done['id']}/complete",
            json={"runner_id": "gpu-runner-1", "lease_id": done["lease_id"], "output_video_key": "out.mp4"},
        )
    for progress in (35, 80):
        create_job(api, "annotate", 12)
        job = claim(api, "gpu-runner-1")
        heartbeat = {"runner_id": "gpu-runner-1", "lease_id": job["lease_id"], "progress": progress}
        api.patch(f"/api/export-jobs/{job['id']}", json=heartbeat)
    failed = [
        failed_job(api, "ffmpeg exited with status 1: moov atom not found"),
        failed_job(api, "CUDA out of memory"),
    ]
    create_job(api, "overlay", 4)
    # Earlier hours' completions, as the counters would hold them had the jobs completed then (the
    # API stamps every completion with the current time).
    now = int(site.sql("SELECT CAST(unixepoch('subsec') * 1000 AS INTEGER) AS now")[0]["now"])
    for hours_ago, count in [(1, 4), (2, 7), (3, 5), (5, 9), (8, 3), (13, 6), (20, 2)]:
        hour = (now // HOUR_MS - hours_ago) * HOUR_MS
        site.sql(
            "INSERT INTO stat_hourly (name, hour, value) VALUES ('export_jobs.complete', ?1, ?2)", hour, count
        )
    runs = []
    for day, kind, status, seconds in [
        ("2026-11-28", "nightly-report", "succeeded", 94),
        ("2026-11-29", "nightly-report", "succeeded", 88),
        ("2026-11-29", "pre-market", "failed", 31),
        ("2026-11-30", "nightly-report", "succeeded", 102),
    ]:
        body = {
            "job_type": kind,
            "scheduled_date": day,
            "status": status,
            "trigger_source": "cron",
            "items_processed": 120,
            "started_at": f"{day}T02:00:00Z",
            "duration_ms": seconds * 1000,
        }
        if status == "failed":
            body |= {"error": "upstream API timed out after 30 s", "items_processed": 0}
        answer = api.post("/api/job-runs", json=body)
        assert answer.status_code == 201, answer.text
        runs.append(answer.json())
        if status == "succeeded":
            content = {"summary": f"{kind} for {day}", "symbols": ["AAPL", "MSFT", "NVDA"], "accuracy": 0.71}
            assert (
                api.put(
                    f"/api/reports/{kind}/{day}", json={"content": content, "trigger_source": "cron"}
                ).status_code
                == 201
            )
    assert api.post("/api/job-runs", json={"job_type": "intraday"}).status_code == 201
    for _ in range(2):
        assert api.post("/api/maintenance/runs", json={}).status_code == 201
    return {"failed": failed, "runs": runs}


class PageWatch:
    """A page with its console errors, page errors and requests to other origins recorded."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on(
            "request", lambda r: None if _origin(r.url) in (origin, "data:") else self.foreign.append(r.url)
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"


@pytest.fixture
def watch(browser: Any, site: LocalRuntime, data: dict[str, Any]) -> Iterator[PageWatch]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield PageWatch(page, site.url)
    context.close()


def sign_in(page: Any, url: str, token: str = TEST_TOKEN) -> None:
    page.goto(f"{url}/dashboard/")
    page.get_by_label("API token", exact=True).fill(token)
    page.get_by_role("button", name="Open dashboard").click()


def signed_in(watch: PageWatch, site: LocalRuntime) -> Any:
    sign_in(watch.page, site.url)
    watch.page.wait_for_selector("#tiles [data-stat]")
    watch.page.wait_for_selector("#run-cards .card")
    return watch.page


def test_sign_in_loads_everything_without_console_errors_or_foreign_requests(
    watch: PageWatch, site: LocalRuntime
) -> None:
    page = watch.page
    page.goto(f"{site.url}/dashboard/")
    assert page.get_by_role("heading", name="Sign in with an API token").is_visible()
    screenshot(page, "token-prompt", full_page=False)
    signed_in(watch, site)
    page.wait_for_selector("#maintenance-rows .row")
    assert page.evaluate("sessionStorage.getItem('edgejobs.token')") == TEST_TOKEN
    assert TEST_TOKEN not in page.url
    assert page.locator("#health").inner_text().startswith("API healthy")
    screenshot(page, "dashboard")
    assert watch.errors == []
    assert watch.foreign == []


def test_csp_comes_with_the_page(site: LocalRuntime) -> None:
    page = httpx.get(f"{site.url}/dashboard/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'http-equiv="Content-Security-Policy" content="default-src \'self\'"' in page.text
    for asset in ("app.js", "style.css"):
        assert httpx.get(f"{site.url}/dashboard/{asset}").status_code == 200


def test_a_refused_token_asks_again(watch: PageWatch, site: LocalRuntime) -> None:
    page = watch.page
    sign_in(page, site.url, "not-the-token")
    reason = page.locator("#token-reason")
    reason.filter(has_text="refused").wait_for()
    assert page.get_by_label("API token", exact=True).is_visible()
    assert page.evaluate("sessionStorage.getItem('edgejobs.token')") is None
    assert page.locator("#dashboard").is_hidden()
    # A token that stops working while the dashboard is open (rotated secret): asked again.
    signed_in(watch, site)
    page.evaluate("sessionStorage.setItem('edgejobs.token', 'rotated-away')")
    page.get_by_role("button", name="Refresh").click()
    reason.filter(has_text="refused").wait_for()
    assert page.evaluate("sessionStorage.getItem('edgejobs.token')") is None


def _number(text: str) -> int:
    digits = re.sub(r"[^0-9]", "", text)
    return int(digits)


def test_tiles_equal_the_stats(watch: PageWatch, site: LocalRuntime, api: httpx.Client) -> None:
    page = signed_in(watch, site)
    stats = api.get("/api/stats").json()
    tiles = page.locator("#tiles dd[data-stat]")
    shown = {tiles.nth(i).get_attribute("data-stat"): tiles.nth(i).inner_text() for i in range(tiles.count())}
    assert "export_jobs.by_status.pending" in shown and "veo_jobs.stored" in shown
    for path, text in shown.items():
        value: Any = stats
        for key in path.split("."):
            value = value[key]
        assert _number(text) == value, path
    assert shown["export_jobs.by_status.error"] == "2" and shown["export_jobs.by_status.processing"] == "2"


def test_retry_moves_a_failed_job_to_pending(watch: PageWatch, site: LocalRuntime, api: httpx.Client) -> None:
    job = failed_job(api, "disk full")
    page = signed_in(watch, site)
    row = page.locator(f"#failed-jobs li[data-job-id='{job['id']}']")
    assert row.get_by_text("disk full").is_visible()
    row.get_by_role("button", name=f"Retry export job {job['id']}").click()
    row.wait_for(state="detached")
    assert site.sql("SELECT status FROM export_jobs WHERE id = ?1", job["id"]) == [{"status": "pending"}]
    assert page.locator(f"#active-jobs li[data-job-id='{job['id']}']").count() == 1
    assert watch.errors == []


def test_the_chart_has_one_bar_per_hour(watch: PageWatch, site: LocalRuntime, api: httpx.Client) -> None:
    page = signed_in(watch, site)
    hours = api.get("/api/stats").json()["export_jobs"]["completed_per_hour"]
    bars = page.locator("#chart rect.bar")
    assert bars.count() == 24
    assert [bars.nth(i).get_attribute("data-hour") for i in range(24)] == [h["hour"] for h in hours]
    assert [int(bars.nth(i).get_attribute("data-count")) for i in range(24)] == [h["count"] for h in hours]
    assert "completed in the last 24 hours" in page.locator("#chart-desc").inner_text()


def test_a_job_run_card_opens_its_report(watch: PageWatch, site: LocalRuntime, data: dict[str, Any]) -> None:
    page = signed_in(watch, site)
    run = data["runs"][-1]
    page.locator(f"#run-cards button[data-run-id='{run['id']}']").click()
    dialog = page.get_by_role("dialog")
    dialog.locator(".report-content").wait_for()
    assert f"{run['job_type']} · {run['scheduled_date']}" in dialog.get_by_role("heading").first.inner_text()
    assert f"nightly-report for {run['scheduled_date']}" in dialog.locator(".report-content").inner_text()
    screenshot(page, "job-run-report", full_page=False)
    dialog.get_by_role("button", name="Close report").click()
    assert page.get_by_role("dialog").count() == 0
    failed = data["runs"][2]
    page.locator(f"#run-cards button[data-run-id='{failed['id']}']").click()
    page.get_by_role("dialog").get_by_text("No report stored").wait_for()


def test_375_px_wide_has_no_horizontal_scroll(browser: Any, site: LocalRuntime, data: dict[str, Any]) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2)
    page = context.new_page()
    watch = PageWatch(page, site.url)
    signed_in(watch, site)
    page.wait_for_selector("#maintenance-rows .row")
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1] == 375
    wider = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 375.5)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className)"
    )
    assert wider == []
    screenshot(page, "dashboard-375px", full_page=False)
    assert watch.errors == []
    context.close()
