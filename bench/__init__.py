"""`make bench`: what every route costs in D1 rows and in time, at 1k, 10k and 100k rows, next
to the seeds' own SQL on the same data. Numbers only: nothing here is asserted.

One run, on the local runtime (real Pyodide 314, Miniflare's real D1 engine):

- **Routes.** Each dataset is a copy of a freshly migrated D1 filled with realistic VEO jobs
  and export jobs (bench/rows.py, written straight into the SQLite file by bench/seeding.py
  before the runtime starts). Every route is called `n` times; per route: D1 queries, rows_read and
  rows_written (from `x-d1-stats`) and latency p50/p95.
- **Handler overhead.** For the main routes the same SQL is also issued straight to the same
  D1 through the runtime's test endpoint `POST /__runtime/sql`; the difference of the p50s is
  what the Worker itself adds (see `OVERHEAD_NOTE`).
- **Peers.** The `000_*` seed's schema and SQL (list every live job; clean up on every
  write) and the `001_*` seed's (read the pending queue, then update the status) run on
  the same D1 against tables loaded with the same rows; the ratio is ours / theirs.
- **Cron.** Maintenance runs (`POST /api/maintenance/runs`, the same code as the cron
  trigger) until nothing is due: runs needed, rows/s, rows read per row deleted; then one
  unbounded `DELETE` on a copy of the same data, side by side. A stress dataset holds
  100,000 expired VEO jobs and 100,000 pending export jobs (claim under load).
- **CPU.** The runtime runs with `--cpu-timing`: each route's Worker CPU per request (D1
  excluded); the 200-scene VEO PUT alone in Pyodide, whole and by phase (bench/cpu.py).
- **Start-up.** Pyodide load, SDK import, app import (from the runtime's ready line) and the
  first request, over a few cold starts; the VEO payload compression ratio.

Output: bench-results/bench.json and bench-results/bench.md (also printed). The machine has
other work on it; compare figures within one run, and ratios rather than milliseconds.
`BENCH_SCALES=1000,10000 make bench` runs a subset; `BENCH_STRESS_ROWS=0` skips the stress
dataset.

Modules: settings (what a run measures), rows and seeding (the datasets), measure (calling
routes and statements, summaries), probes, probes_veo and probes_exports (the route probes,
by capability), peers (the seeds' SQL), cron, scales (a dataset on a runtime), startup,
plans, payload, cpu (the Worker's CPU per route, and the 200-scene PUT probe: cpu_probe.mjs,
cpu_phases.py), footprint (bytes per job, run on its own), targets and report; `__main__` runs
the sections in turn.
"""
