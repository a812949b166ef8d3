// `make bench` helper: the Worker CPU of one large VEO PUT in the real Pyodide, with D1 out of
// the picture. Loads the interpreter and the app exactly as the local runtime does
// (tools/runtime/python.mjs), gives the Worker a D1 binding that answers at once from memory,
// then:
// - calls `Default.fetch` with the PUT (a web Request holding the body file) `runs` times and
//   reports, per call, the CPU time of this process (process.cpuUsage: every thread, so also
//   Web Crypto digests, which Node runs on its thread pool) and its wall time;
// - runs bench/cpu_phases.py inside the same interpreter: each phase of that PUT alone.
// Prints one JSON line.
//
//   node bench/cpu_probe.mjs BODY_FILE [RUNS]      (from the project root)

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { computeCompatFlags, loadWranglerConfig } from "../tools/runtime/config.mjs";
import { transformBindValue } from "../tools/runtime/d1.mjs";
import { ExecutionContext } from "../tools/runtime/execution-context.mjs";
import { startPython } from "../tools/runtime/python.mjs";
import { findSdkDir } from "../tools/runtime/sdk.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TOKEN = "bench-cpu-token";
const JOB_ID = "veo_bench_cpu";

const [bodyFile, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 30);
const body = fs.readFileSync(bodyFile);

/** D1 as the Worker sees it, answering from memory: the PUT's RETURNING row built from the
 *  bound parameters (the write SQL's ?1–?15), every other statement no rows. bind() converts
 *  its arguments as workerd's does and batch() serialises them and parses its answer (the
 *  client's share of a D1 call, which runs in the isolate); D1's own work costs nothing here. */
class D1PreparedStatement {
  constructor(sql, params = []) {
    this.statement = sql;
    this.params = params;
  }
  bind(...params) {
    return new D1PreparedStatement(this.statement, params.map(transformBindValue));
  }
  result() {
    const meta = { changes: 1, rows_read: 1, rows_written: 2, last_row_id: 1, duration: 0 };
    if (!/RETURNING/.test(this.statement)) return { success: true, results: [], meta };
    const p = this.params;
    const names = [
      "job_id",
      "status",
      "video_id",
      "video_url",
      "scene_count",
      "characters_found",
      "mode",
      "voice",
      "has_script",
      "error",
      "etag",
      "size_bytes",
      "stored_bytes",
    ];
    const row = Object.fromEntries(names.map((name, i) => [name, p[i] ?? null]));
    Object.assign(row, {
      created_at: p[13],
      updated_at: p[13],
      expires_at: p[14],
      user_id: p[20] ?? null,
      revision: 2,
    });
    return { success: true, results: [row], meta };
  }
  async all() {
    return this.result();
  }
}

class D1Database {
  prepare(sql) {
    return new D1PreparedStatement(sql);
  }
  async batch(statements) {
    // Serialised as workerd's D1 client does in the isolate (tools/runtime/d1.mjs likewise).
    JSON.stringify(statements.map((s) => ({ sql: s.statement, params: s.params })));
    return JSON.parse(JSON.stringify(statements.map((s) => s.result()))); // the answer arrives as JSON
  }
}

const config = loadWranglerConfig(path.join(ROOT, "wrangler.toml"));
const env = { ...config.vars, API_TOKEN: TOKEN, DB: new D1Database() };
const python = await startPython({
  config,
  sdkDir: findSdkDir(ROOT),
  env,
  compatFlags: computeCompatFlags(config.compatibilityDate, config.compatibilityFlags),
  stdout: () => {},
  stderr: (line) => process.stderr.write(`${line}\n`),
  onBackgroundError: (err) => process.stderr.write(`${err}\n`),
});

function request() {
  return new Request(`http://127.0.0.1/api/veo/jobs/${JOB_ID}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body,
  });
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
// The main thread alone (Python, and the JS it calls). Linux refreshes a running thread's CPU
// time for process-wide reads only: a thread-only read right after one is current, alone it
// can be a scheduler tick (4 ms) stale.
const threadMs = () => {
  process.cpuUsage();
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
};

// Request logs go to stdout through console; silence them while measuring.
const log = console.log;
console.log = () => {};
const calls = [];
let status = 0;
for (let i = 0; i < runs + 5; i++) {
  const req = request(); // built outside the measurement: the runtime's work, not the Worker's
  const thread0 = threadMs();
  const cpu0 = cpuMs();
  const wall0 = performance.now();
  const response = await python.fetch(req, env, new ExecutionContext(() => {}));
  const wall = performance.now() - wall0;
  const cpu = cpuMs() - cpu0;
  const thread = threadMs() - thread0;
  status = response.status;
  await response.arrayBuffer();
  if (i >= 5) calls.push({ cpu_ms: cpu, thread_ms: thread, wall_ms: wall }); // the first calls warm code paths up
}
console.log = log;

const phasesCode = fs.readFileSync(path.join(ROOT, "bench", "cpu_phases.py"), "utf8");
python.pyodide.FS.writeFile("/tmp/bench_cpu_body.json", body);
const namespace = python.pyodide.toPy({});
python.pyodide.runPython(phasesCode, { globals: namespace });
const report = JSON.parse(await namespace.get("phases")("/tmp/bench_cpu_body.json", env.DB));

const round = (x) => Math.round(x * 100) / 100;
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
  return { median: round(at(0.5)), min: round(sorted[0]), p90: round(at(0.9)) };
};
const sum = (phases) => round(Object.values(phases).reduce((a, b) => a + b, 0));
process.stdout.write(
  `${JSON.stringify({
    body_bytes: body.length,
    status,
    runs: calls.length,
    request_cpu_ms: summary(calls.map((c) => c.cpu_ms)),
    request_main_thread_cpu_ms: summary(calls.map((c) => c.thread_ms)),
    request_wall_ms: summary(calls.map((c) => c.wall_ms)),
    phases: report.phases,
    phases_sum_ms: sum(report.phases),
    before: report.before,
    phases_main_thread: report.phases_main_thread,
    before_main_thread: report.before_main_thread,
    gzip_alternatives: report.gzip_alternatives,
  })}\n`,
);
process.exit(0);
