"""Concurrent load with correctness checks: `make soak` (60 s) and tests/http/test_load.py (10 s).

Nineteen clients (threads, one httpx connection pool each, loopback only) mix every route for
a bounded time while one of them fires the cron every few seconds; the runtime's D1 may
also fail a share of its calls (then proper 503s are expected and counted apart):

  veo ×3        read-modify-write of shared counter jobs with If-Match (retrying on 412),
                create-only / delete-if-match races on shared "toggle" ids, and their own jobs:
                put, get (must equal what was put), list, delete
  producer ×4   export creates: plain, with a fresh Idempotency-Key (then replayed), with a
                "hot" key that several producers send at once, and a reused key with another
                body (409)
  runner ×6     claim, heartbeat, then complete / fail (retryable or not) / abandon (the lease
                is made to lapse, as if time passed, and the runner comes back late); a 503
                is retried after its Retry-After until the lease would end, complete and
                fail 30 s longer, as the runner client does (a lease it still cannot keep,
                or a finish resent past it, is counted as one it let lapse)
  operator ×2   cancel and retry random jobs, read jobs, events and lists
  observer ×1   lists, maintenance runs, health, and the cron every `cron_every` seconds
                (every other time two runs at once)
  creator ×2    three users (user tokens) at a monthly limit of 4 videos, raised by 2 every
                3 s: videos and generations of 3 (201 or 429), cancels, reads, lists, stats,
                quota (videos.py)
  renderer ×1   the service moving each new video queued → in_progress → completed or
                failed, and raising the limits

Afterwards (`LoadReport.problems`): no unexpected status (no 5xx at all without faults; with
faults only proper 503s), no lost update (each counter equals its successful writes; each
toggle exists iff its successful creates outnumber its deletes), one job per idempotency
key, and — read straight from D1 — every export job's event trail matches, event by event
kind, the transitions clients were told succeeded (claimed = 200 claims, completed = 200
completes ≤ 1, …), every runner's successful action hit its own attempt; each user's videos
are the creates told 201, their events the changes told 200, their quota the creates minus the
refunds told, never above the limit; and the whole database passes tests/support/consistency.py
(videos, usage rows and generations included).

With `--fault-rate` the injector fails a D1 call *before* it runs (tools/runtime/faults.mjs):
a 503 then means "nothing happened", so client-side tallies are exact. With `--lose-rate` a
D1 call runs (a write commits) and then fails, so a 503 may have landed: the clients count such
503s, and the checks allow what they may have done and no more (an event kind's unanswered
events at most its lost answers, a counter at most its lost increments above its successful
ones, a lapse only for a job whose claim went unanswered); `complete` and `fail` are resent
and must be answered once. The video clients sit such a run out (their checks are exact).

Modules: workload (settings, what clients share, route names), clients (four kinds of
client of the VEO cache and the queue; the CLIENTS table), runners (the export runner), videos
(the two video clients and their checks), ledger (what the clients saw), run (one run), checks
(afterwards), report; `__main__` is `make soak`."""
