"""A run's report: per-route latency and statuses, and the checks' verdicts."""

from __future__ import annotations

import platform
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from soak.ledger import Ledger
from tests.support.stats import percentile


@dataclass
class LoadReport:
    seconds: float
    clients: int
    fault_rate: float
    ledger: Ledger
    problems: list[str]
    checks: list[str]
    lose_rate: float = 0.0
    injected: dict[str, int] = field(default_factory=dict)  # the injector's calls, failed, lost

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.ledger.latencies.values())

    def routes(self) -> list[dict[str, Any]]:
        rows = []
        for route, samples in sorted(self.ledger.latencies.items()):
            ordered = sorted(samples)
            rows.append(
                {
                    "route": route,
                    "n": len(ordered),
                    "rps": round(len(ordered) / self.seconds, 1),
                    "p50": round(percentile(ordered, 50), 1),
                    "p95": round(percentile(ordered, 95), 1),
                    "p99": round(percentile(ordered, 99), 1),
                    "max": round(ordered[-1], 1),
                    "statuses": dict(sorted(self.ledger.statuses[route].items())),
                }
            )
        return rows

    def render(self) -> str:
        everything = sorted(v for samples in self.ledger.latencies.values() for v in samples)
        histogram = Counter[int]()
        for counts in self.ledger.statuses.values():
            histogram.update(counts)
        lines = [
            f"edgejobs load: {self.clients} clients, {self.seconds:.1f} s, D1 fault rate {self.fault_rate},"
            f" lose rate {self.lose_rate} — {platform.machine()} {platform.system()},"
            f" Python {platform.python_version()}",
            f"{self.requests} requests, {self.requests / self.seconds:.1f} req/s; latency ms "
            + ", ".join(f"p{p} {percentile(everything, p):.1f}" for p in (50, 95, 99)),
            f"status histogram: {dict(sorted(histogram.items()))}; proper 503s under faults: "
            f"{self.ledger.unavailable}; cron runs failed under faults: {self.ledger.cron_failed}"
            + (f"; D1 calls {self.injected}" if self.injected else ""),
            f"runner retries after a 503: {dict(sorted(self.ledger.retries.items()))}; completions that"
            f" needed a retry: {sum(self.ledger.retried_completions.values())}; leases given up after"
            f" retrying until they would end: {sum(self.ledger.gave_up.values())}",
            "",
            f"{'route':<40} {'n':>6} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  statuses",
        ]
        for row in self.routes():
            lines.append(
                f"{row['route']:<40} {row['n']:>6} {row['rps']:>7} {row['p50']:>7} {row['p95']:>7} "
                f"{row['p99']:>7} {row['max']:>7}  {row['statuses']}"
            )
        lines += [
            "",
            "checks:",
            *[f"  ok  {c}" for c in self.checks],
            *[f"  FAIL {p}" for p in self.problems[:40]],
        ]
        if len(self.problems) > 40:
            lines.append(f"  … {len(self.problems) - 40} more")
        return "\n".join(lines)
