"""SIGTERM to a real runner process (clients/python/edgejobs_runner.py run as a command) while it
holds a lease on the local runtime: it stops claiming, keeps heartbeating through the grace
period, and then either completes the job (it finished in time) or hands it back as retryable
(`pending` again) — and a final call whose answer is lost after its commit lands once.

Each runner here holds the only claimable job (the runner claims any), so `lose_nth=[1]` set
while its lease is long (no heartbeat due) loses the answer of exactly its final call.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.exports import Jobs, events, get
from tests.support.faults import assert_no_claimable_jobs
from tests.support.runtime import LocalRuntime
from tests.support.settings import TOKEN

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "python" / "edgejobs_runner.py"


class RunnerProcess:
    """The command-line runner in a process of its own; its stderr collected as it comes."""

    def __init__(self, base_url: str, command: str, *, lease: int, grace: float) -> None:
        args = [
            *("--base-url", base_url, "--token", TOKEN, "--runner-id", f"term-{time.monotonic_ns()}"),
            *("--lease-seconds", str(lease), "--grace-seconds", str(grace), "--idle-seconds", "0.2"),
            *("--command", command),
        ]
        self.process = subprocess.Popen(
            [sys.executable, str(CLIENT), *args], stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def terminate(self) -> None:
        """SIGTERM, then wait until the runner has logged that it stopped claiming."""
        self.process.send_signal(signal.SIGTERM)
        wait_for(lambda: any("no more claims" in line for line in self.lines))

    def exit(self, limit: float = 60) -> dict[str, Any]:
        """Its exit (status 0), and the counters it printed last."""
        code = self.process.wait(limit)
        self._reader.join(5)
        assert code == 0, "".join(self.lines)
        counters: dict[str, Any] = json.loads(self.lines[-1])
        return counters


@pytest.fixture
def start(base_url: str, local: LocalRuntime) -> Iterator[Callable[..., RunnerProcess]]:
    assert_no_claimable_jobs(local)  # the runner must claim this test's job
    started: list[RunnerProcess] = []

    def run(command: str, *, lease: int, grace: float) -> RunnerProcess:
        started.append(RunnerProcess(base_url, command, lease=lease, grace=grace))
        return started[-1]

    yield run
    local.set_d1_faults()
    for runner in started:
        if runner.process.poll() is None:
            runner.process.kill()
            runner.process.wait(10)


def wait_for(condition: Callable[[], Any], limit: float = 30.0) -> Any:
    give_up = time.monotonic() + limit
    while not (value := condition()):
        assert time.monotonic() < give_up, "timed out"
        time.sleep(0.05)
    return value


def kinds(client: httpx.Client, job_id: str) -> list[str]:
    return [e["event"] for e in events(client, job_id)]


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited, not reaped yet


def test_sigterm_heartbeats_through_the_grace_then_hands_the_job_back(
    client: httpx.Client, jobs: Jobs, start: Callable[..., RunnerProcess], tmp_path: Path
) -> None:
    job = jobs.create(max_retries=3)
    pid = tmp_path / "pid"
    runner = start(f"echo progress 30; echo $$ > {pid}; exec sleep 120", lease=10, grace=8)
    wait_for(lambda: get(client, job["id"])["progress"] == 30)  # claimed, and a heartbeat landed
    before = get(client, job["id"])
    runner.terminate()

    # Within the grace period the job is still the runner's, and its lease is still renewed.
    def renewed() -> dict[str, Any] | None:
        now = get(client, job["id"])
        assert (now["status"], now["lease_id"]) == ("processing", before["lease_id"]), now
        return now if now["lease_expires_at"] > before["lease_expires_at"] else None

    wait_for(renewed, limit=7)
    counters = runner.exit()

    after = get(client, job["id"])
    assert (after["status"], after["retry_count"], after["runner_id"]) == ("pending", 1, None)
    assert "shut down" in after["error"], after
    assert kinds(client, job["id"]) == ["created", "claimed", "failed"]
    assert (counters["jobs"]["failed"], counters["jobs"]["completed"]) == (1, 0), counters
    assert wait_for(lambda: gone(int(pid.read_text())), limit=5)  # the command went with it


def test_a_job_finishing_in_the_grace_completes_once_though_its_answer_is_lost(
    client: httpx.Client, local: LocalRuntime, jobs: Jobs, start: Callable[..., RunnerProcess], tmp_path: Path
) -> None:
    job = jobs.create()
    go = tmp_path / "go"
    runner = start(f"until [ -e {go} ]; do sleep 0.05; done; echo progress 100", lease=60, grace=30)
    wait_for(lambda: get(client, job["id"])["status"] == "processing")
    runner.terminate()
    other = jobs.create()  # claimable now, but the runner no longer claims

    local.set_d1_faults(lose_nth=[1])  # the next D1 call is the completion's batch
    go.touch()
    counters = runner.exit()

    assert local.d1_faults()["lost"] == 1
    done = get(client, job["id"])
    assert (done["status"], done["output_video_key"]) == ("complete", f"exports/{job['id']}.mp4")
    assert kinds(client, job["id"]) == ["created", "claimed", "completed"]
    assert counters["retried_calls"]["complete"] == 1, counters  # sent again, answered 200
    assert counters["jobs"]["completed"] == 1
    assert (get(client, other["id"])["status"], kinds(client, other["id"])) == ("pending", ["created"])


def test_a_job_handed_back_at_shutdown_fails_once_though_its_answer_is_lost(
    client: httpx.Client, local: LocalRuntime, jobs: Jobs, start: Callable[..., RunnerProcess], tmp_path: Path
) -> None:
    job = jobs.create(max_retries=3)
    pid = tmp_path / "pid"
    runner = start(f"echo $$ > {pid}; exec sleep 120", lease=60, grace=1)
    wait_for(lambda: pid.exists() and pid.read_text().strip())
    local.set_d1_faults(lose_nth=[1])  # the next D1 call is the shutdown's `fail`
    runner.process.send_signal(signal.SIGTERM)
    counters = runner.exit()

    assert local.d1_faults()["lost"] == 1
    after = get(client, job["id"])
    assert (after["status"], after["retry_count"]) == ("pending", 1), after
    assert kinds(client, job["id"]) == ["created", "claimed", "failed"]
    assert counters["retried_calls"]["fail"] == 1, counters
    assert wait_for(lambda: gone(int(pid.read_text())), limit=5)
