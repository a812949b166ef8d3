"""`make bench` (`python -m bench`): every section in turn, then the report (see `bench`)."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.cpu import veo_put_cpu_report
from bench.payload import veo_compression_report
from bench.plans import plan_check_on_d1
from bench.report import log, machine, render_markdown
from bench.scales import bench_scale, bench_stress
from bench.settings import OVERHEAD_NOTE, RESULTS, SCALES, STRESS_ROWS
from bench.startup import bench_startup
from bench.targets import targets
from tests.support.runtime import apply_migrations

# A section measures one thing on copies of a migrated template D1 (under a work directory)
# and returns its part of the report. A new measurement is one more line here.
Section = Callable[[Path, Path], Any]


def _scales(template: Path, work: Path) -> list[dict[str, Any]]:
    results = []
    for scale in SCALES:
        results.append(bench_scale(template, work, scale))
        log(f"scale {scale:,} done")
    return results


SECTIONS: list[tuple[str, Section]] = [
    ("startup", bench_startup),
    ("compression", lambda template, work: veo_compression_report()),
    ("veo_put_cpu", lambda template, work: veo_put_cpu_report()),
    ("query_plans_on_d1", plan_check_on_d1),
    ("scales", _scales),
]
if STRESS_ROWS:
    SECTIONS.append(("stress", lambda template, work: bench_stress(template, work, STRESS_ROWS)))


def main() -> None:
    started = time.perf_counter()
    report: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="edgejobs-bench-") as tmp:
        work = Path(tmp)
        template = work / "template"
        apply_migrations(template)
        log("migrated a template D1")
        for name, section in SECTIONS:
            report[name] = section(template, work)
            log(f"{name} done")
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["notes"] = {"handler_overhead": OVERHEAD_NOTE}
    report["targets"] = targets(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.json").write_text(json.dumps(report, indent=2))
    markdown = render_markdown(report)
    (RESULTS / "bench.md").write_text(markdown)
    print()
    print(markdown)
    log(f"wrote {RESULTS / 'bench.json'} and {RESULTS / 'bench.md'} in {report['seconds']} s")


if __name__ == "__main__":
    main()
