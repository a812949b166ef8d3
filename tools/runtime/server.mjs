#!/usr/bin/env node
// edgejobs local runtime: serves the Python Worker in wrangler.toml like `wrangler dev`, offline.
//
//   node tools/runtime/server.mjs [--config wrangler.toml] [--port N] [--host 127.0.0.1]
//        [--persist-to DIR] [--env-file PATH | --no-env-file] [--var NAME=VALUE]...
//        [--no-cron] [--test-endpoints]
//
// Python runs in the real Pyodide (npm `pyodide`, the build Python Workers use) and D1 is
// Miniflare's real D1 engine, persisted where `wrangler d1 ... --local` looks. See
// runtime.mjs for the serving side.
//
// This file only parses the command line. Node runs Python without JSPI (WebAssembly stack
// switching) unless started with `node --experimental-wasm-jspi`: workerd calls Python with
// JSPI, but Node 22's implementation makes every asyncio step ~10x slower, and only
// `pyodide.ffi.run_sync` needs it. python.mjs uses JSPI whenever the flag is on.

import { USAGE, UsageError, parseArgs } from "./args.mjs";

// Miniflare 4 and the global WebSocket the D1 bridge uses need Node 22.
if (Number(process.versions.node.split(".")[0]) < 22) {
  process.stderr.write(
    `edgejobs runtime: Node ${process.version} is too old; run it with Node >= 22 ` +
      "(npm installs one: node_modules/.bin/node tools/runtime/server.mjs)\n",
  );
  process.exit(1);
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2), process.env);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`error: ${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

// Until runtime.mjs installs its own shutdown (right after starting workerd), a signal has
// nothing to clean up.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => process.exit(0));

const startedAt = performance.timeOrigin;
const { runRuntime } = await import("./runtime.mjs");
await runRuntime(opts, { startedAt });
