"""What every provider sync of the cron shares (export jobs with RunPod, videos with their
provider): when to ask about a job again, how many questions a run may ask, and one bounded
round of questions whose answers are recorded one batch each.

The wait between two checks of one job starts at 10 s, doubles while the provider's status
stays the same (or there was no answer), and starts over when it changed; at most 10 minutes
(and at most a cap the caller gives). A `Retry-After` longer than the wait is honoured.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from ..core.chunks import Budget
from ..core.config import Config
from ..core.outbound import Outbound, OutboundBudgetExhausted
from .results import Outcome, ProviderJob

MIN_WAIT_MS = 10_000
MAX_WAIT_MS = 600_000

Item = TypeVar("Item")


def next_wait(wait_ms: int, last_status: str | None, answer: Outcome, cap_ms: int = MAX_WAIT_MS) -> int:
    """The wait before the next check: doubled when the provider's status is unchanged (or
    there was no answer), back to the minimum when it changed; within [10 s, min(10 min, cap)]."""
    same = isinstance(answer, ProviderJob) and answer.raw_status == last_status
    wait = wait_ms * 2 if same or not isinstance(answer, ProviderJob) else MIN_WAIT_MS
    return max(MIN_WAIT_MS, min(wait, MAX_WAIT_MS, cap_ms))


def next_check_at(now: int, wait_ms: int, answer: Outcome) -> int:
    """When to ask next: after the wait, or after the provider's `Retry-After` if longer."""
    retry_ms = int((getattr(answer, "retry_after", None) or 0) * 1000)
    return now + max(wait_ms, retry_ms)


def requests_allowed(config: Config, outbound: Outbound) -> int:
    """How many provider requests this run may still make: PROVIDER_SYNC_MAX_PER_RUN is the most
    every provider sync of one run makes together (whichever task or pass makes them), within
    the run's outbound budget."""
    return max(0, min(config.provider_sync_max_per_run - outbound.used, outbound.remaining))


async def ask_and_record(
    outbound: Outbound,
    budget: Budget,
    items: Sequence[Item],
    ask: Callable[[Item], Awaitable[Any]],
    record: Callable[[Item, Any], Awaitable[None]],
    statements_per_item: int,
) -> tuple[int, bool]:
    """Ask about every item, 6 at a time, then record each answer (one batch of
    `statements_per_item` statements each) while the statement budget lasts. (recorded, more):
    `more` when the outbound budget ran out before an item was asked about, or the statement
    budget before its answer was recorded (that item is asked about again next run)."""

    def question(item: Item) -> Callable[[], Awaitable[Any]]:
        return lambda: ask(item)

    answers = await outbound.gather_bounded([question(item) for item in items])
    recorded, more = 0, False
    for item, answer in zip(items, answers, strict=True):
        if isinstance(answer, OutboundBudgetExhausted):
            more = True
            continue
        if isinstance(answer, BaseException):
            raise answer
        if not budget.spend(statements_per_item):
            more = True
            break
        await record(item, answer)
        recorded += 1
    return recorded, more
