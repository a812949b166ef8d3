"""`make soak` (`python -m soak`): a fresh local runtime, load for `--seconds`, then the checks;
exits non-zero on any finding."""

from __future__ import annotations

import argparse
import json
import sys

from soak.run import run_load
from soak.workload import RUNTIME_VARS
from tests.support.runtime import local_runtime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of D1 calls to fail (0..1)")
    parser.add_argument(
        "--lose-rate",
        type=float,
        default=0.0,
        help="share of D1 calls that run (a write commits) and then fail, their answer lost (0..1)",
    )
    parser.add_argument("--cron-every", type=float, default=2.5)
    parser.add_argument("--json", help="also write the report as JSON to this file")
    args = parser.parse_args(argv)
    print(f"starting a fresh local runtime; {args.seconds:.0f} s of load follow", flush=True)
    with local_runtime(vars=RUNTIME_VARS) as rt:
        report = run_load(
            rt.url,
            seconds=args.seconds,
            local=rt,
            fault_rate=args.fault_rate,
            lose_rate=args.lose_rate,
            cron_every=args.cron_every,
        )
    print(report.render())
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "seconds": report.seconds,
                    "requests": report.requests,
                    "fault_rate": report.fault_rate,
                    "lose_rate": report.lose_rate,
                    "injected": report.injected,
                    "routes": report.routes(),
                    "problems": report.problems,
                    "checks": report.checks,
                },
                out,
                indent=2,
            )
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
