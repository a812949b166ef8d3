"""Export jobs resynced with RunPod by the cron: the Worker's real adapter (Pyodide's fetch)
asks the loopback RunPod fake about processing jobs that carry a `runpod_job_id`, and each
answer drives the export state machine with its event."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.exports import complete, events, get, heartbeat, ms
from tests.support.fake_http import Reply
from tests.support.fake_providers import malformed, server_error, slow, throttled
from tests.support.providers import MAX_PER_RUN, ProvidersWorld, now_ms

# RunPod's answer → (the job's status after it, the event, the job's error)
CASES: dict[str, tuple[str, str, str | None]] = {
    "COMPLETED": ("complete", "completed", None),
    "FAILED": ("pending", "failed", "runner_failed"),
    "TIMED_OUT": ("pending", "failed", "runner_failed"),
    "CANCELLED": ("pending", "failed", "runner_failed"),
    "404": ("pending", "failed", "runner_lost"),
    "IN_PROGRESS": ("processing", "lease_extended", None),
    "IN_QUEUE": ("processing", "lease_extended", None),
}


def put_answer(world: ProvidersWorld, job: dict[str, Any], case: str) -> None:
    runpod_job_id = job["runpod_job_id"]
    if case == "404":
        world.runpod.forget(runpod_job_id)
    elif case == "COMPLETED":
        world.runpod.put(runpod_job_id, case, output={"output_video_key": f"exports/{job['id']}.mp4"})
    else:
        world.runpod.put(runpod_job_id, case, error="worker exited" if case == "FAILED" else None)


def test_each_runpod_status_drives_its_transition_with_its_event(providers: ProvidersWorld) -> None:
    jobs = {case: providers.running_export_job() for case in CASES}
    for case, job in jobs.items():
        put_answer(providers, job, case)
    asked = len(providers.runpod.http.received("GET"))
    run = providers.cron()
    assert run["counts"]["export_jobs_resynced"] == len(CASES) and run["error"] is None
    assert len(providers.runpod.http.received("GET")) - asked == len(CASES)
    for case, job in jobs.items():
        status, event, error = CASES[case]
        now = get(providers.client, job["id"])
        assert (now["status"], now["error"]) == (status, error), case
        last = events(providers.client, job["id"])[-1]
        assert (last["event"], last["from_status"], last["to_status"]) == (event, "processing", status), case
        assert last["data"]["source"] == "runpod" and last["data"]["runpod_job_id"] == job["runpod_job_id"]
        assert last["data"]["runpod_status"] == ("NOT_FOUND" if case == "404" else case)
        if case == "COMPLETED":
            assert (now["output_video_key"], now["progress"]) == (f"exports/{job['id']}.mp4", 100)
        elif status == "pending":  # the retry rule: retried later, the attempt's RunPod job let go
            assert (now["retry_count"], now["runpod_job_id"], now["runner_id"]) == (1, None, None)
            assert ms(now["available_at"]) > now_ms()
        else:
            assert ms(now["lease_expires_at"]) > ms(job["lease_expires_at"])
    assert events(providers.client, jobs["FAILED"]["id"])[-1]["data"]["runpod_error"] == "worker exited"
    checks = providers.checks()
    assert set(checks) == {jobs["IN_PROGRESS"]["id"], jobs["IN_QUEUE"]["id"]}  # finished ones let go
    assert all(c["last_status"] in ("IN_PROGRESS", "IN_QUEUE") for c in checks.values())


def test_completed_without_an_output_key_is_a_failed_attempt(providers: ProvidersWorld) -> None:
    job = providers.running_export_job()
    providers.runpod.put(job["runpod_job_id"], "COMPLETED", output={"video_url": "https://cdn/x.mp4"})
    providers.cron()
    now = get(providers.client, job["id"])
    assert (now["status"], now["error"]) == ("pending", "runner_failed")
    assert "output_video_key" in events(providers.client, job["id"])[-1]["data"]["runpod_error"]


@pytest.mark.parametrize(
    ("fault", "least_wait_ms"),
    [
        (throttled(retry_after=120), 120_000),
        (server_error(500), 10_000),
        (server_error(503), 10_000),
        (slow(3), 10_000),  # past PROVIDER_TIMEOUT_SECONDS=1
        (malformed(), 10_000),
        (Reply(drop=True), 10_000),
    ],
    ids=["429", "500", "503", "timeout", "malformed", "dropped"],
)
def test_no_answer_only_reschedules(providers: ProvidersWorld, fault: Reply, least_wait_ms: int) -> None:
    job = providers.running_export_job()
    put_answer(providers, job, "COMPLETED")
    before = (get(providers.client, job["id"]), events(providers.client, job["id"]))
    providers.runpod.fault(fault)
    started = now_ms()
    run = providers.cron()
    assert run["error"] is None
    assert (get(providers.client, job["id"]), events(providers.client, job["id"])) == before
    check = providers.checks()[job["id"]]
    assert check["next_check_at"] >= started + least_wait_ms
    providers.make_checks_due()  # the next check gets RunPod's answer
    providers.cron()
    assert get(providers.client, job["id"])["status"] == "complete"


def test_unchanged_answers_double_the_wait(providers: ProvidersWorld) -> None:
    job = providers.running_export_job("IN_PROGRESS")
    waits = []
    for _ in range(4):
        providers.make_checks_due()
        providers.cron()
        waits.append(providers.checks()[job["id"]]["wait_ms"])
    # 10 s doubling while unchanged, at most half the lease (300 s by default).
    assert waits == [10_000, 20_000, 40_000, 80_000]
    providers.runpod.put(job["runpod_job_id"], "IN_QUEUE")  # a change starts over
    providers.make_checks_due()
    providers.cron()
    assert providers.checks()[job["id"]]["wait_ms"] == 10_000


def test_settling_waits_for_an_answer_the_worker_gave_up_on(providers: ProvidersWorld) -> None:
    """The Worker stops waiting after 1 s; the fake goes on answering for 3. Until it is done,
    that request still counts as being answered, so the next test's count of requests at once
    would start at one (the six-at-a-time test below saw 7 when it followed the timeout case)."""
    job = providers.running_export_job()
    put_answer(providers, job, "COMPLETED")
    providers.runpod.fault(slow(3))
    providers.cron()
    providers.settle()
    assert providers.runpod.status_route.in_flight == 0


def test_a_run_checks_at_most_the_bound_six_at_a_time_and_the_rest_drain(providers: ProvidersWorld) -> None:
    jobs = [providers.running_export_job() for _ in range(MAX_PER_RUN * 2 + 3)]
    for job in jobs:
        put_answer(providers, job, "COMPLETED")
    runs, served, most_in_flight = providers.cron_runs_overlapping(3)
    assert [run["counts"]["export_jobs_resynced"] for run in runs] == [MAX_PER_RUN, MAX_PER_RUN, 3]
    assert [run["more"] for run in runs] == [True, True, False]  # work left is reported
    assert served == len(jobs) and most_in_flight == 6
    assert {get(providers.client, j["id"])["status"] for j in jobs} == {"complete"}


def test_racing_a_runners_own_complete_exactly_one_wins(providers: ProvidersWorld) -> None:
    jobs = [providers.running_export_job() for _ in range(6)]
    for job in jobs:
        put_answer(providers, job, "COMPLETED")
    with ThreadPoolExecutor(7) as pool:
        cron = pool.submit(providers.cron)
        answers = list(
            pool.map(lambda j: complete(providers.client, j["id"], j["runner_id"], j["lease_id"]), jobs)
        )
        cron.result()
    for job, answer in zip(jobs, answers, strict=True):
        history = events(providers.client, job["id"])
        assert [e["event"] for e in history].count("completed") == 1, history
        winner = history[-1]["data"].get("source", "runner")
        assert get(providers.client, job["id"])["status"] == "complete"
        if winner == "runpod":
            assert answer.status_code == 409 and answer.json()["error"]["code"] == "lease_lost"
        else:
            assert answer.status_code == 200


def test_a_job_handed_to_another_runpod_job_is_not_touched_by_the_old_answer(
    providers: ProvidersWorld,
) -> None:
    job = providers.running_export_job("IN_PROGRESS")
    providers.cron()  # tracked under its first RunPod job
    providers.runpod.put(job["runpod_job_id"], "FAILED")
    new_runpod_job = "rp-second-attempt"
    providers.runpod.put(new_runpod_job, "IN_PROGRESS")
    assert (
        heartbeat(
            providers.client, job["id"], job["runner_id"], job["lease_id"], runpod_job_id=new_runpod_job
        ).status_code
        == 200
    )
    providers.make_checks_due()
    providers.cron()
    now = get(providers.client, job["id"])
    assert (now["status"], now["runpod_job_id"]) == ("processing", new_runpod_job)
    assert providers.checks()[job["id"]]["runpod_job_id"] == new_runpod_job


def test_health_shows_the_sync_lag(providers: ProvidersWorld) -> None:
    assert providers.anon.get("/health").json()["provider_sync_lag_seconds"] is None
    providers.running_export_job("IN_PROGRESS")
    providers.cron()
    assert providers.anon.get("/health").json()["provider_sync_lag_seconds"] == 0
    providers.runtime.sql("UPDATE export_runpod_checks SET next_check_at = ?", now_ms() - 90_000)
    assert providers.anon.get("/health").json()["provider_sync_lag_seconds"] >= 90
