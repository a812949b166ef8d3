"""Each provider's documented JSON onto the neutral result (status, progress, file_url, error)."""

from __future__ import annotations

from typing import Any

import pytest

from edgejobs.providers.replicate import map_prediction
from edgejobs.providers.results import ProviderJob, Transient, first_url
from edgejobs.providers.runpod import map_job


def prediction(status: str, **fields: Any) -> dict[str, Any]:
    return {"id": "gm3qorzdhgbfurvjtvhg6dckhu", "status": status, "output": None, "error": None, **fields}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("starting", "in_progress"),
        ("processing", "in_progress"),
        ("succeeded", "completed"),
        ("failed", "failed"),
        ("canceled", "cancelled"),
    ],
)
def test_replicate_statuses(status: str, expected: str) -> None:
    job = map_prediction(prediction(status))
    assert isinstance(job, ProviderJob)
    assert (job.provider, job.status, job.raw_status) == ("replicate", expected, status)


@pytest.mark.parametrize(
    ("output", "file_url"),
    [
        ("https://replicate.delivery/x/out.mp4", "https://replicate.delivery/x/out.mp4"),
        (
            ["https://replicate.delivery/a.mp4", "https://replicate.delivery/b.mp4"],
            "https://replicate.delivery/a.mp4",
        ),
        ({"video": "https://replicate.delivery/v.mp4", "fps": 24}, "https://replicate.delivery/v.mp4"),
        ([{"meta": 1}, ["https://replicate.delivery/deep.mp4"]], "https://replicate.delivery/deep.mp4"),
        ([1, "not a url"], None),
        (None, None),
    ],
)
def test_replicate_file_url_is_the_output_string_or_its_first_url(output: Any, file_url: str | None) -> None:
    job = map_prediction(prediction("succeeded", output=output))
    assert isinstance(job, ProviderJob)
    assert job.file_url == file_url and job.progress == 100 and job.error is None


def test_replicate_failure_and_progress_from_the_logs() -> None:
    failed = map_prediction(prediction("failed", error="CUDA out of memory"))
    assert isinstance(failed, ProviderJob)
    assert failed.error == {"code": "provider_failed", "message": "CUDA out of memory"}
    assert failed.file_url is None
    running = map_prediction(prediction("processing", logs="  5%|▌    | 1/20\n 45%|████▌     | 9/20\n"))
    assert isinstance(running, ProviderJob) and running.progress == 45
    assert isinstance(no_bar := map_prediction(prediction("processing", logs="loading")), ProviderJob)
    assert no_bar.progress is None


@pytest.mark.parametrize(
    ("status", "expected", "code"),
    [
        ("IN_QUEUE", "queued", None),
        ("IN_PROGRESS", "in_progress", None),
        ("COMPLETED", "completed", None),
        ("FAILED", "failed", "provider_failed"),
        ("TIMED_OUT", "failed", "provider_timed_out"),
        ("CANCELLED", "cancelled", None),
    ],
)
def test_runpod_statuses(status: str, expected: str, code: str | None) -> None:
    job = map_job({"id": "c80ffee4-u1", "status": status, "delayTime": 5})
    assert isinstance(job, ProviderJob)
    assert (job.provider, job.status, job.raw_status) == ("runpod", expected, status)
    assert (job.error or {}).get("code") == code


@pytest.mark.parametrize(
    ("output", "file_url"),
    [
        ({"video_url": "https://cdn/v.mp4", "url": "https://cdn/other"}, "https://cdn/v.mp4"),
        ({"url": "https://cdn/u.mp4"}, "https://cdn/u.mp4"),
        ("https://cdn/s.mp4", "https://cdn/s.mp4"),
        ({"output_video_key": "exports/1.mp4"}, None),
        (None, None),
    ],
)
def test_runpod_file_url(output: Any, file_url: str | None) -> None:
    job = map_job({"id": "j-1", "status": "COMPLETED", "output": output})
    assert isinstance(job, ProviderJob) and job.file_url == file_url and job.progress == 100


def test_runpod_error_message_is_kept_and_clipped() -> None:
    job = map_job({"id": "j-1", "status": "FAILED", "error": "x" * 5000})
    assert isinstance(job, ProviderJob) and job.error is not None
    assert job.error["code"] == "provider_failed" and len(job.error["message"]) == 1000


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"status": "COMPLETED"},
        {"id": "j-1"},
        {"id": "j-1", "status": "DONE"},
        {"id": "../../etc", "status": "COMPLETED"},
        {"id": "", "status": "COMPLETED"},
        {"id": 7, "status": "COMPLETED"},
    ],
)
def test_bodies_that_are_not_jobs_are_transient(body: Any) -> None:
    assert isinstance(map_job(body), Transient)
    assert isinstance(map_prediction(body), Transient)
    if isinstance(body, dict) and body.get("id") != "j-1":  # a bad id in Replicate's words too
        assert isinstance(map_prediction({**body, "status": "succeeded"}), Transient)


def test_first_url_ignores_other_schemes() -> None:
    assert first_url(["data:video/mp4;base64,AAAA", "ftp://x", "HTTPS://cdn/a.mp4"]) == "HTTPS://cdn/a.mp4"
