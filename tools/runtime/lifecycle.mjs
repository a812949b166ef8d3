// What makes the runtime stop: signals, the parent going away, a closed stdout pipe.
//
// Miniflare adds SIGINT/SIGTERM handlers that exit with 130/143 before anything else can run;
// ours replace them (its "exit" hook stays as a last resort) so shutdown can tidy up and exit 0.

import fs from "node:fs";
import { logErr } from "./log.mjs";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Calls `shutdown` (at most once matters to the caller) on any reason to stop. */
export function installShutdownTriggers(shutdown) {
  for (const signal of SIGNALS) {
    // Add before removing: with no listener left for a moment, Node would drop a signal
    // that arrived while start-up was busy.
    process.on(signal, shutdown);
    for (const listener of process.listeners(signal)) {
      if (listener !== shutdown) process.removeListener(signal, listener);
    }
  }
  // Started with an IPC channel (child_process.fork): leave with the parent.
  if (process.send) process.on("disconnect", shutdown);
  // Started by a harness that reads our stdout through a pipe: if that harness dies without
  // stopping us (we get re-parented) or closes the pipe, nobody can talk to us any more.
  let stdoutIsPipe = false;
  try {
    stdoutIsPipe = fs.fstatSync(1).isFIFO();
  } catch {}
  if (stdoutIsPipe) {
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && shutdown(), 1000).unref();
    process.stdout.on("error", (err) => err.code === "EPIPE" && shutdown());
  }
  process.on("unhandledRejection", (err) => logErr(`Unhandled rejection: ${err?.stack ?? err}`));
}
