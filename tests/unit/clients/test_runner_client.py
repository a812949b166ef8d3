"""The runner client (clients/python/edgejobs_runner.py) against a loopback fake queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from edgejobs_runner import ApiError, Clock, GaveUp, JobContext, QueueClient, RetryableError, Runner

from tests.unit.clients.fake_queue import FakeQueue

CLIENT = Path(__file__).resolve().parents[3] / "clients" / "python" / "edgejobs_runner.py"
FAST: dict[str, Any] = {
    "timeout": 0.25,
    "retry_base": 0.02,
    "retry_cap": 0.2,
    "idle_seconds": 0.02,
    "idle_max_seconds": 0.1,
}


class FakeClock(Clock):
    """Time that moves only when the client waits: retries without real sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.waits: list[float] = []

    def now(self) -> float:
        return self.t

    def wait(self, event: threading.Event | None, seconds: float) -> bool:
        self.waits.append(seconds)
        self.t += seconds
        return False


@pytest.fixture
def queue() -> Iterator[FakeQueue]:
    with FakeQueue() as q:
        yield q


def run_until(runner: Runner, done: Any, limit: float = 15.0) -> None:
    """Run `runner` in a thread until `done()` holds, then stop it and wait for it to return."""
    thread = threading.Thread(target=runner.run_forever, kwargs={"install_signals": False}, daemon=True)
    thread.start()
    give_up = time.monotonic() + limit
    while not done() and time.monotonic() < give_up:
        time.sleep(0.02)
    runner.stop()
    thread.join(10)
    assert not thread.is_alive()


def statuses(queue: FakeQueue) -> list[str]:
    return [job.status for job in queue.jobs.values()]


def test_every_claimed_job_completes_exactly_once_under_30_percent_faults() -> None:
    attempts: dict[str, int] = {}

    def handler(ctx: JobContext) -> dict[str, Any]:
        attempts[ctx.job_id] = attempts.get(ctx.job_id, 0) + 1
        ctx.progress(50)
        ctx.wait(0.03)
        if attempts[ctx.job_id] == 1 and len(attempts) % 4 == 0:
            raise RetryableError("first attempt of every fourth job fails")
        return {"output_video_key": f"exports/{ctx.job_id}.mp4", "result": {"frames": 3}}

    # A claim whose answer is lost (applied, then dropped or too slow) leaves its jobs to lapse
    # and come back: no client can act on a lease it never heard of. Room for those retries:
    with FakeQueue(fault_rate=0.3, slow_seconds=0.35, max_retries=10) as queue:
        ids = queue.add_jobs(20)
        runner = Runner(queue.url, "t", "gpu-1", lease_seconds=1.5, max_jobs=3, handler=handler, **FAST)
        run_until(runner, lambda: all(s == "complete" for s in statuses(queue)), limit=25)

        assert statuses(queue) == ["complete"] * 20
        for job_id in ids:
            assert queue.events(job_id).count("completed") == 1
            assert queue.jobs[job_id].output_video_key == f"exports/{job_id}.mp4"
        counts = runner.counters.snapshot()
        assert counts["jobs"]["completed"] == 20
        assert counts["jobs"]["failed"] >= 1
        assert sum(counts["retries"].values()) > 0
        assert any(outcome != "ok" for _, outcome in queue.calls_to("complete"))
        # every lapse comes from a claim answer that was lost, none from a job the runner knew of
        lapses = sum(queue.events(job_id).count("lease_expired") for job_id in ids)
        lost_claims = sum(o in ("drop_after", "slow") for _, o in queue.calls_to("claim"))
        assert lapses <= 3 * lost_claims


def test_a_completion_whose_answer_was_lost_is_repeated_and_answered_once(queue: FakeQueue) -> None:
    [job_id] = queue.add_jobs(1)
    queue.inject("complete", "drop_after")
    runner = Runner(queue.url, "t", "gpu-1", lease_seconds=5, handler=lambda ctx: "exports/a.mp4", **FAST)
    run_until(runner, lambda: runner.counters.jobs["completed"] == 1)

    calls = queue.calls_to("complete", job_id)
    assert [outcome for _, outcome in calls] == ["drop_after", "ok"]
    assert calls[0][0] == calls[1][0] and calls[0][0] is not None and calls[0][0]["lease_id"]
    assert queue.replays == 1 and queue.events(job_id).count("completed") == 1
    counts = runner.counters.snapshot()
    assert counts["retried_calls"]["complete"] == 1 and counts["ambiguous"]["complete"] == 1


def test_a_completion_is_repeated_past_the_lease_until_it_is_answered(queue: FakeQueue) -> None:
    """The first attempt landed, its answer was lost, and 503s lasted past the lease's end: a late
    repeat is still answered (200: it had landed), so the client keeps sending it."""
    [job_id] = queue.add_jobs(1)
    queue.inject("complete", "drop_after", *["503"] * 12)  # 1-2 s of retries; the lease is 0.6 s
    runner = Runner(queue.url, "t", "gpu-1", lease_seconds=0.6, handler=lambda ctx: "exports/a.mp4", **FAST)
    run_until(runner, lambda: runner.counters.jobs["completed"] + runner.counters.jobs["lost"] > 0)

    assert [o for _, o in queue.calls_to("complete", job_id)] == ["drop_after", *["503"] * 12, "ok"]
    assert (runner.counters.jobs["completed"], runner.counters.jobs["lost"]) == (1, 0)
    assert queue.events(job_id) == ["created", "claimed", "completed"]


def test_a_late_completion_that_never_landed_is_answered_lease_lost() -> None:
    """Nothing landed before the lease ended and the queue took the job back: the late repeat is
    refused (`lease_lost`), and the job is counted lost."""
    with FakeQueue(max_retries=0) as queue:  # a lapsed job ends in error: it is claimed only once
        [job_id] = queue.add_jobs(1)
        queue.inject("complete", *["503"] * 12)
        runner = Runner(queue.url, "t", "gpu-1", lease_seconds=0.6, handler=lambda ctx: "a.mp4", **FAST)
        run_until(runner, lambda: runner.counters.jobs["lost"] > 0)

        assert [o for _, o in queue.calls_to("complete", job_id)][-1] == "ok"  # answered lease_lost
        assert runner.counters.jobs["completed"] == 0 and runner.counters.gave_up["complete"] == 0
        assert queue.events(job_id) == ["created", "claimed", "lease_expired"]


def test_a_completion_is_given_up_finish_seconds_after_the_lease() -> None:
    with FakeQueue(max_retries=0) as queue:
        [job_id] = queue.add_jobs(1)
        queue.inject("complete", *["503"] * 200)
        runner = Runner(
            queue.url,
            "t",
            "gpu-1",
            lease_seconds=0.3,
            finish_seconds=0.5,
            handler=lambda ctx: "a.mp4",
            **FAST,
        )
        run_until(runner, lambda: runner.counters.gave_up["complete"] > 0)
        assert runner.counters.jobs["lost"] == 1 and len(queue.calls_to("complete", job_id)) < 200


def test_an_older_server_without_lease_id_or_max_jobs_still_works() -> None:
    with FakeQueue(lease_ids=False) as queue:
        [job_id] = queue.add_jobs(1)
        queue.inject("complete", "drop_after")
        runner = Runner(
            queue.url, "t", "gpu-1", lease_seconds=5, max_jobs=2, handler=lambda ctx: "out.mp4", **FAST
        )
        run_until(runner, lambda: runner.counters.jobs["completed"] == 1)

        # max_jobs refused once, then single claims; the repeated complete is lease_lost there,
        # and the client reads the job to see that its first attempt landed
        assert [o for _, o in queue.calls_to("complete", job_id)] == ["drop_after", "ok"]
        assert all("lease_id" not in (body or {}) for _, _, body, _ in queue.calls)
        assert queue.events(job_id).count("completed") == 1
        assert len(queue.calls_to("get", job_id)) == 1


def test_heartbeats_come_every_third_of_the_lease_with_progress(queue: FakeQueue) -> None:
    [job_id] = queue.add_jobs(1)

    def handler(ctx: JobContext) -> str:
        ctx.set_runpod_job_id("rp-1")  # sent right away, not at the next beat
        for pct in (20, 40, 60, 80):
            ctx.progress(pct)
            ctx.wait(0.5)
        return "out.mp4"

    runner = Runner(queue.url, "t", "gpu-1", lease_seconds=1.2, handler=handler, **FAST)
    run_until(runner, lambda: runner.counters.jobs["completed"] == 1)

    # the fake recovers a lease the moment it passes: completing proves none lapsed in 2 s
    assert queue.jobs[job_id].status == "complete"
    beats = queue.jobs[job_id].heartbeats
    assert 4 <= len(beats) <= 9, beats
    assert beats[0][1]["runpod_job_id"] == "rp-1"
    assert all(body["lease_id"] and body["runner_id"] == "gpu-1" for _, body in beats)
    assert queue.jobs[job_id].progress == 100 and beats[-1][1]["progress"] >= 60


def test_lease_lost_on_a_heartbeat_stops_the_job_and_says_it_was_cancelled(queue: FakeQueue) -> None:
    [job_id] = queue.add_jobs(1)
    seen: list[JobContext] = []

    def handler(ctx: JobContext) -> str:
        seen.append(ctx)
        ctx.wait(10)  # returns early once the heartbeat learns of the cancel
        return "out.mp4"

    runner = Runner(queue.url, "t", "gpu-1", lease_seconds=0.6, handler=handler, **FAST)
    cancelled: list[bool] = []

    def cancel_once_running() -> bool:
        if seen and not cancelled:
            queue.cancel(job_id)
            cancelled.append(True)
        return runner.counters.jobs["lost"] == 1

    started = time.monotonic()
    run_until(runner, cancel_once_running)

    assert time.monotonic() - started < 5
    assert seen[0].was_cancelled and "cancelled" in (seen[0].cancel_reason or "")
    assert queue.calls_to("complete") == [] and queue.calls_to("fail") == []
    assert queue.events(job_id) == ["created", "claimed", "cancelled"]


def test_heartbeats_failing_until_the_lease_would_end_give_the_job_up() -> None:
    seen: list[JobContext] = []

    def handler(ctx: JobContext) -> str:
        seen.append(ctx)
        ctx.wait(10)
        return "out.mp4"

    with FakeQueue(max_retries=0) as queue:  # a lapsed job ends in error: it is claimed only once
        [job_id] = queue.add_jobs(1)
        queue.inject("heartbeat", *["503"] * 100)
        runner = Runner(queue.url, "t", "gpu-1", lease_seconds=0.6, handler=handler, **FAST)
        run_until(runner, lambda: runner.counters.jobs["lost"] == 1)

        assert seen[0].cancelled and not seen[0].was_cancelled
        assert "heartbeat failed" in (seen[0].cancel_reason or "")
        assert runner.counters.gave_up["heartbeat"] == 1 and len(queue.calls_to("heartbeat")) > 1
        assert queue.calls_to("complete") == [] and queue.calls_to("fail") == []
        assert queue.events(job_id)[:2] == ["created", "claimed"] and len(queue.events(job_id)) <= 3


def test_a_refused_completion_fails_the_job_instead_of_leaving_it_to_lapse(queue: FakeQueue) -> None:
    [job_id] = queue.add_jobs(1)
    queue.inject("complete", "400")
    runner = Runner(queue.url, "t", "gpu-1", lease_seconds=5, handler=lambda ctx: "out.mp4", **FAST)
    run_until(runner, lambda: queue.jobs[job_id].status == "error")

    assert [o for _, o in queue.calls_to("complete", job_id)] == ["400"]  # not retried
    [(body, _)] = queue.calls_to("fail", job_id)
    assert body is not None and body["retryable"] is False and "refused" in body["error"]
    assert queue.jobs[job_id].status == "error"


def test_retry_after_is_honoured_until_the_deadline() -> None:
    with FakeQueue(fault_rate=1.0, faults=("503",), retry_after="2") as queue:
        clock = FakeClock()
        api = QueueClient(queue.url, "t", timeout=1, retry_base=0.1, clock=clock)
        with pytest.raises(GaveUp):
            api.call("claim", "POST", "/api/export-jobs/claim", {}, deadline=clock.now() + 5.9)
        assert len(queue.calls) == 3  # at 0, 2-2.4 and 4-4.8 s; a fourth would come after 6 s
        assert all(2.0 <= w <= 2.4 for w in clock.waits)
        assert api.counters.gave_up["claim"] == 1


def test_no_answer_is_retried_with_jittered_exponential_backoff() -> None:
    with FakeQueue() as queue:
        url = queue.url  # closed once the block ends: connection refused from then on
    clock = FakeClock()
    api = QueueClient(url, "t", timeout=1, retry_base=0.5, retry_cap=4, clock=clock)
    with pytest.raises(GaveUp):
        api.call("complete", "POST", "/api/export-jobs/x/complete", {"a": 1}, deadline=clock.now() + 20)
    steps = [0.5, 1, 2, 4, 4, 4, 4, 4]
    assert all(step / 2 <= wait <= step for wait, step in zip(clock.waits, steps, strict=False))
    assert api.counters.ambiguous["complete"] == api.counters.retries["complete"] == len(clock.waits)


def test_other_client_errors_are_not_retried(queue: FakeQueue) -> None:
    queue.inject("complete", "400")
    api = QueueClient(queue.url, "t", clock=FakeClock())
    with pytest.raises(ApiError) as error:
        api.call("complete", "POST", f"/api/export-jobs/{queue.add_jobs(1)[0]}/complete", {"x": 1})
    assert error.value.status == 400 and len(queue.calls) == 1


def start_cli(queue: FakeQueue, command: str, grace: float) -> subprocess.Popen[str]:
    args = [
        "--base-url",
        queue.url,
        "--token",
        "t",
        "--runner-id",
        "gpu-9",
        "--lease-seconds",
        "5",
        "--grace-seconds",
        str(grace),
        "--idle-seconds",
        "0.05",
        "--command",
        command,
    ]
    return subprocess.Popen([sys.executable, str(CLIENT), *args], stderr=subprocess.PIPE, text=True)


def wait_for(condition: Any, limit: float = 10.0) -> None:
    give_up = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < give_up, "timed out"
        time.sleep(0.02)


def test_sigterm_mid_job_fails_it_as_retryable_so_it_is_pending_again(
    queue: FakeQueue, tmp_path: Path
) -> None:
    [job_id] = queue.add_jobs(1)
    pid_file = tmp_path / "pid"
    process = start_cli(queue, f"echo $$ > {pid_file}; exec sleep 30", grace=0.3)
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip())
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)

    assert process.returncode == 0, stderr
    assert queue.jobs[job_id].status == "pending"
    assert queue.events(job_id) == ["created", "claimed", "failed"]
    [(body, _)] = queue.calls_to("fail", job_id)
    assert body is not None and body["retryable"] is True and "shut down" in body["error"]
    wait_for(lambda: gone(int(pid_file.read_text())), limit=5)  # the command stopped with the runner


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"  # not reaped yet
    except FileNotFoundError:
        return True


def test_sigterm_lets_a_job_finish_within_the_grace_period(queue: FakeQueue) -> None:
    [job_id] = queue.add_jobs(1)
    process = start_cli(queue, "sleep 0.4; echo progress 80", grace=10)
    wait_for(lambda: queue.jobs[job_id].status == "processing")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)

    assert process.returncode == 0, stderr
    assert queue.jobs[job_id].status == "complete"
    assert queue.jobs[job_id].output_video_key == f"exports/{job_id}.mp4"
    assert len(queue.calls_to("claim")) == 1  # no claim after the signal


def test_progress_is_a_number_0_to_100_that_never_goes_down() -> None:
    ctx = JobContext({"id": "j1", "lease_id": "l1"}, "gpu-1", threading.Event())
    ctx.progress(42.7)
    ctx.progress(10)
    assert ctx._heartbeat_fields() == {"progress": 42}
    for bad in (101, -1, True, "50"):
        with pytest.raises(ValueError):
            ctx.progress(bad)  # type: ignore[arg-type]
