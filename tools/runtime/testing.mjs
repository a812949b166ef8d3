// Helpers for the node tests that run the whole local runtime (server.mjs) on a tiny project
// in a temporary directory: its own wrangler.toml, Worker module, D1 state and assets.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findSdkDir } from "./sdk.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
const READY = "EDGEJOBS_READY ";

/**
 * Writes a project: wrangler.toml (main = src/worker.py, one D1 database, then `toml`), the
 * Worker as src/worker.py and any other `files` ({relative path: text}). Returns its directory.
 */
export function makeProject({ worker, toml = "", files = {} }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edgejobs-runtime-test-"));
  const all = {
    "wrangler.toml":
      'name = "t"\nmain = "src/worker.py"\ncompatibility_date = "2026-11-01"\n' +
      'compatibility_flags = ["python_workers"]\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_id = "test-db"\n\n' +
      toml,
    "src/worker.py": worker,
    ...files,
  };
  for (const [name, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/**
 * Starts server.mjs on `dir` (port 0, D1 state inside dir, no cron, no secrets file) plus
 * `args`. Resolves once it printed its ready marker, or once it exited: {ready, url, output,
 * exited (promise of {code, signal}), stop(signal)}. `output` collects stdout and stderr.
 */
export function startRuntime(dir, args = ["--test-endpoints"], { timeoutMs = 120_000 } = {}) {
  const proc = spawn(
    process.execPath,
    [
      path.join(HERE, "server.mjs"),
      "--config",
      path.join(dir, "wrangler.toml"),
      "--port",
      "0",
      "--persist-to",
      path.join(dir, "state"),
      "--no-env-file",
      "--no-cron",
      ...args,
    ],
    { cwd: dir, env: { ...process.env, EDGEJOBS_SDK_DIR: findSdkDir(ROOT) }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const runtime = { proc, ready: null, url: null, output: [] };
  runtime.exited = new Promise((resolve) => proc.once("close", (code, signal) => resolve({ code, signal })));
  runtime.stop = async (signal = "SIGTERM") => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return runtime.exited;
  };
  runtime.text = () => runtime.output.join("\n");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`runtime did not start:\n${runtime.text()}`));
    }, timeoutMs);
    const collect = (stream) => {
      let pending = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        const lines = (pending + chunk).split("\n");
        pending = lines.pop();
        for (const line of lines) {
          runtime.output.push(line);
          if (line.startsWith(READY) && !runtime.ready) {
            runtime.ready = JSON.parse(line.slice(READY.length));
            runtime.url = runtime.ready.url;
            clearTimeout(timer);
            resolve(runtime);
          }
        }
      });
    };
    collect(proc.stdout);
    collect(proc.stderr);
    runtime.exited.then(() => {
      clearTimeout(timer);
      resolve(runtime); // exited before ready: the caller looks at exited and output
    });
  });
}

/** Waits until `predicate()` is true (polling), or fails after `ms`. */
export async function eventually(predicate, ms = 10_000, what = "condition") {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
