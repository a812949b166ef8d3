"""After the run: what the clients were told against what D1 holds."""

from __future__ import annotations

from collections import Counter

from soak.ledger import Api, Ledger
from soak.videos import verify_videos
from soak.workload import V_GET, Shared
from tests.support import consistency
from tests.support.runtime import LocalRuntime


def verify(
    api: Api,
    shared: Shared,
    ledger: Ledger,
    local: LocalRuntime | None,
    problems: list[str],
    checks: list[str],
) -> None:
    def expect(ok: bool, check: str, detail: str = "") -> None:
        (checks if ok else problems).append(check if ok else f"{check}: {detail}")

    expect(not ledger.unexpected, "no unexpected status", "; ".join(ledger.unexpected[:20]))
    # No lost update: every successful conditional write is in the counter, none twice.
    counts = {}
    for counter in shared.counters:
        got = api.call(V_GET, "GET", f"/api/veo/jobs/{counter}", (200,))
        counts[counter] = got.json()["count"] if got.status_code == 200 else None
    # A write answered 503 while answers were lost may have landed: then bounds, not equality.
    maybe_writes = ledger.maybe_counter_writes
    expect(
        all(
            count is not None and 0 <= count - ledger.counter_writes[c] <= maybe_writes[c]
            for c, count in counts.items()
        ),
        f"no lost update ({sum(ledger.counter_writes.values())} If-Match increments{_maybe(maybe_writes)})",
        f"counters {counts}, successful writes {dict(ledger.counter_writes)}, maybe {dict(maybe_writes)}",
    )
    toggles = {}
    for toggle in shared.toggles:
        exists = api.call(V_GET, "GET", f"/api/veo/jobs/{toggle}", (200, 404)).status_code == 200
        toggles[toggle] = (ledger.toggle_creates[toggle] - ledger.toggle_deletes[toggle], exists)
    expect(
        all(
            -ledger.maybe_toggle_deletes[t] <= int(exists) - diff <= ledger.maybe_toggle_creates[t]
            for t, (diff, exists) in toggles.items()
        ),
        f"create-only/delete-if-match races add up ({sum(ledger.toggle_creates.values())} creates"
        f"{_maybe(ledger.maybe_toggle_creates + ledger.maybe_toggle_deletes)})",
        f"(creates - deletes, exists) per toggle: {toggles}",
    )
    bad_keys = {
        k: v
        for k, v in ledger.key_creates.items()
        if len({job for _, job in v}) != 1
        or not (0 if ledger.maybe_keys[k] else 1) <= [s for s, _ in v].count(201) <= 1
    }
    expect(not bad_keys, f"one job per Idempotency-Key ({len(ledger.key_creates)} keys)", str(bad_keys)[:500])
    expect(
        not ledger.attempt_problems,
        "every successful runner action hit its own attempt",
        "; ".join(ledger.attempt_problems[:5]),
    )
    if ledger.losing:
        checks.append("(videos not run: their checks need a 503 to mean that nothing happened)")
    else:
        video_problems, video_summary = verify_videos(api, shared, ledger, local)
        expect(not video_problems, video_summary, "; ".join(video_problems[:10]))
    if local is None:
        checks.append("(event trails and D1 consistency not checked: no local runtime)")
        return
    # Every transition a client was told succeeded is in the job's history exactly once, and
    # nothing else is (lease_expired: only for leases made to lapse, or held by a claim whose
    # answer was lost); with answers lost after the commit, at most as many more events of a
    # kind as 503s that may have landed.
    recorded: Counter[tuple[str, str]] = Counter()
    for row in local.sql(
        "SELECT job_id, event, count(*) AS n FROM job_events WHERE job_id IN"
        " (SELECT id FROM export_jobs WHERE project_id = ?) GROUP BY job_id, event",
        shared.project,
    ):
        recorded[row["job_id"], row["event"]] = row["n"]
    mismatches = []
    unanswered = Counter[str]()  # events no client was told of, by kind
    for job_id, event in set(recorded) | set(ledger.transitions):
        extra = recorded[job_id, event] - ledger.transitions[job_id, event]
        if event == "lease_expired":
            unheld = max(0, recorded[job_id, "claimed"] - ledger.transitions[job_id, "claimed"])
            if recorded[job_id, event] > ledger.abandoned[job_id] + unheld:
                mismatches.append(
                    f"{job_id}: {recorded[job_id, event]} lease_expired, {ledger.abandoned[job_id]} lapsed"
                    f" and {unheld} claims unanswered"
                )
        elif extra < 0 or (extra > 0 and not ledger.maybe_events[event]):
            mismatches.append(
                f"{job_id} {event}: {recorded[job_id, event]} recorded, "
                f"{ledger.transitions[job_id, event]} answered 2xx"
            )
        else:
            unanswered[event] += extra
    for event, n in sorted(unanswered.items()):
        if n > ledger.maybe_events[event]:
            mismatches.append(f"{n} {event} events unanswered, {ledger.maybe_events[event]} answers lost")
    completed_twice = [job for (job, event), n in recorded.items() if event == "completed" and n > 1]
    summary = Counter[str]()
    for (_, event), n in ledger.transitions.items():
        summary[event] += n
    recovered = sum(n for (_, event), n in recorded.items() if event == "lease_expired")
    expect(
        not mismatches and not completed_twice,
        f"event trails match what clients were told ({dict(sorted(summary.items()))}"
        f"{_maybe(unanswered, 'landed unanswered')}); none completed"
        f" twice; the cron recovered {recovered} of {sum(ledger.abandoned.values())} lapsed leases",
        "; ".join(mismatches[:10]) + f" completed twice: {completed_twice[:5]}",
    )
    unfinished = local.sql("SELECT id FROM maintenance_runs WHERE finished_at IS NULL")
    runs = local.sql("SELECT count(*) AS n FROM maintenance_runs")[0]["n"]
    findings = consistency.check(
        local.sql,
        unfinished_runs_allowed={r["id"] for r in unfinished}
        if len(unfinished) <= ledger.cron_failed
        else (),
    )
    expect(
        not findings,
        f"D1 is consistent ({len(ledger.jobs)} export jobs, {len(ledger.video_owner)} videos, "
        f"{runs} maintenance runs)",
        "; ".join(findings[:10]),
    )


def _maybe(counts: Counter[str], what: str = "503s that may have landed") -> str:
    """`; N 503s that may have landed` when answers were lost after the commit, else nothing."""
    n = sum(counts.values())
    return f"; {n} {what}" if n else ""
