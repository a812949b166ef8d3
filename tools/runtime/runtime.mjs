// The serving side of the local runtime (server.mjs handles the command line).
//
// Start-up runs Miniflare (the D1 bridge Worker with the real D1 binding) and Pyodide (the
// Worker's Python) in parallel, then serves HTTP:
//   /cdn-cgi/handler/scheduled?cron=... and /__scheduled?cron=...  -> Default.scheduled
//   /__runtime/*  (only with --test-endpoints)                       -> control routes
//   anything else                                                    -> Default.fetch

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { ConfigError, computeCompatFlags, loadSecrets, loadWranglerConfig } from "./config.mjs";
import { CronSyntaxError, parseCron, startCronScheduler } from "./cron.mjs";
import { D1BridgeClient, D1Database } from "./d1.mjs";
import { FaultError, FaultInjector, parseFaultEnv, parseFaultSetting } from "./faults.mjs";
import { BodyTooLarge, buildRequest, readBody, sendJson, sendPlain, sendResponse } from "./http.mjs";
import { ExecutionContext, PythonStartupError, ScheduledController, findSdkDir, sdkVersion, startPython } from "./python.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Miniflare is a CommonJS bundle: require() skips the ESM loader's export scan of its ~4 MB
// source, which costs ~250 ms of start-up.
const requireMiniflare = () => createRequire(import.meta.url)("miniflare");
// The bridge Worker is plain JS glue; any date this workerd supports will do.
const BRIDGE_COMPATIBILITY_DATE = "2026-07-01";
const INTERNAL_ERROR = JSON.stringify({ error: { code: "internal_error", message: "Internal error." } });

const logErr = (line) => process.stderr.write(`${line}\n`);
const errorText = (err) => (err instanceof Error ? err.message || String(err) : String(err));

function fail(message) {
  logErr(`edgejobs runtime: ${message}`);
  process.exit(1);
}

function displayHost(host) {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

export async function runRuntime(opts, { startedAt }) {
  // --- configuration --------------------------------------------------------------------
  let config;
  let secrets;
  let sdkDir;
  let faults;
  try {
    config = loadWranglerConfig(opts.config);
    secrets = loadSecrets(config, opts);
    sdkDir = findSdkDir(config.configDir);
    faults = new FaultInjector(parseFaultEnv(process.env.EDGEJOBS_D1_FAULTS));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PythonStartupError || err instanceof FaultError) fail(err.message);
    throw err;
  }
  const persistTo = opts.persistTo ? path.resolve(opts.persistTo) : path.join(config.configDir, ".wrangler", "state");
  const crons = [];
  for (const expr of config.crons) {
    try {
      crons.push(parseCron(expr));
    } catch (err) {
      if (!(err instanceof CronSyntaxError)) throw err;
      logErr(`edgejobs runtime: warning: ${err.message}; this trigger will not fire locally`);
    }
  }

  // The env object the Worker sees: [vars], then secrets, then --var, all as given
  // (strings from wrangler.toml and .dev.vars), and the D1 binding.
  const env = { ...config.vars, ...secrets.values, ...opts.vars };
  let resolveBridgeUrl;
  const bridgeUrl = new Promise((resolve) => (resolveBridgeUrl = resolve));
  const client = new D1BridgeClient(bridgeUrl);
  env[config.d1.binding] = new D1Database({ client, faults });

  // --- start Pyodide and Miniflare in parallel --------------------------------------------
  // Pyodide first: its file reads and WebAssembly compilation then overlap the ~0.3 s it
  // takes to load Miniflare, and workerd boots in its own process meanwhile.
  const onBackgroundError = (err) => logErr(`Uncaught (in promise) ${errorText(err)}`);
  const pythonReady = startPython({
    config,
    sdkDir,
    env,
    compatFlags: computeCompatFlags(config.compatibilityDate, config.compatibilityFlags),
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    onBackgroundError,
  });

  pythonReady.catch(() => {}); // reported below, once Miniflare can be disposed of too
  const { Log, LogLevel, Miniflare } = requireMiniflare();
  const mf = new Miniflare({
    modules: true,
    script: fs.readFileSync(path.join(HERE, "d1-bridge-worker.js"), "utf8"),
    scriptPath: path.join(HERE, "d1-bridge-worker.js"),
    compatibilityDate: BRIDGE_COMPATIBILITY_DATE,
    // Node's WebSocket asks for permessage-deflate; compressing every D1 message both ways
    // costs more CPU than the loopback bytes it saves.
    compatibilityFlags: ["no_web_socket_compression"],
    d1Databases: { DB: config.d1.databaseId },
    d1Persist: path.join(persistTo, "v3", "d1"),
    // A direct socket to the bridge Worker, skipping Miniflare's entry Worker (faster).
    unsafeDirectSockets: [{}],
    log: new Log(LogLevel.WARN),
    // No Request.cf download (it would try the network); the bridge never reads it.
    cf: false,
  });
  // --- shutdown -----------------------------------------------------------------------------
  // Installed as soon as workerd exists, so a signal during start-up also tears it down.
  // Miniflare adds SIGINT/SIGTERM handlers that exit with 130/143 before anything else can
  // run; ours replace them (its "exit" hook stays as a last resort) and exit 0.
  let server = null;
  let stopCron = () => {};
  let closing = false;
  const background = new Set(); // waitUntil work of finished requests, awaited briefly at shutdown
  async function shutdown() {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(0), 1900).unref();
    stopCron();
    if (server) {
      server.close();
      server.closeAllConnections();
      // Give waitUntil work a moment to finish, as workerd would before tearing down.
      await Promise.race([Promise.allSettled([...background]), new Promise((r) => setTimeout(r, 800))]);
    }
    client.close();
    await Promise.race([mf.dispose().catch(() => {}), new Promise((r) => setTimeout(r, 800))]);
    process.exit(0);
  }
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
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

  const miniflareReady = (async () => {
    await mf.ready;
    resolveBridgeUrl(await mf.unsafeGetDirectURL());
    await client.connect();
  })();

  let python;
  try {
    [python] = await Promise.all([pythonReady, miniflareReady]);
  } catch (err) {
    if (closing) return; // a signal arrived during start-up; shutdown() is exiting
    await Promise.race([mf.dispose().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
    if (err instanceof PythonStartupError) {
      logErr(err.message);
      const rel = path.relative(process.cwd(), config.mainPath);
      fail(
        `importing ${rel.startsWith("..") ? config.mainPath : rel} failed; not serving ` +
          `(/session/metadata above is ${config.mainDir})`,
      );
    }
    fail(`start-up failed: ${err?.stack ?? err}`);
  }

  // --- invoking the Worker ----------------------------------------------------------------
  const newContext = () => new ExecutionContext(onBackgroundError);
  function trackBackground(ctx) {
    if (ctx.pending === 0) return;
    const done = ctx.settle().finally(() => background.delete(done));
    background.add(done);
  }

  async function runScheduled(cron, scheduledTime) {
    const ctx = newContext();
    const controller = new ScheduledController(cron, scheduledTime);
    let error = null;
    try {
      await python.scheduled(controller, env, ctx);
    } catch (err) {
      error = err;
      logErr(`Uncaught exception in scheduled(${JSON.stringify(cron)}): ${errorText(err)}`);
    }
    // The event lasts until its waitUntil work is done, as with workerd's scheduled events.
    const results = await ctx.settle();
    if (!error) error = results.find((r) => !r.ok)?.error ?? null;
    return error;
  }

  // Like wrangler dev: ?cron= (default: the first configured one), optional ?time= in epoch
  // ms, and Miniflare's ?format=json for {outcome, noRetry}.
  async function handleScheduled(url, res) {
    const cron = url.searchParams.get("cron") ?? config.crons[0] ?? "* * * * *";
    const time = Number(url.searchParams.get("time"));
    const error = await runScheduled(cron, Number.isFinite(time) && time > 0 ? time : Date.now());
    const status = error ? 500 : 200;
    if (url.searchParams.get("format") === "json") {
      sendJson(res, status, { outcome: error ? "exception" : "ok", noRetry: false });
    } else {
      sendPlain(res, status, error ? errorText(error) : "Ran scheduled event");
    }
  }

  async function handleControl(req, url, res) {
    let body = {};
    if (req.method === "POST") {
      try {
        const text = (await readBody(req)).toString("utf8");
        body = text.trim() ? JSON.parse(text) : {};
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error("expected a JSON object");
      } catch (err) {
        return sendJson(res, 400, { error: `invalid JSON body: ${errorText(err)}` });
      }
    }
    if (url.pathname === "/__runtime/d1-faults") {
      if (req.method === "POST") {
        try {
          faults.set(parseFaultSetting(body));
        } catch (err) {
          return sendJson(res, 400, { error: errorText(err) });
        }
      }
      return sendJson(res, 200, faults.status());
    }
    if (url.pathname === "/__runtime/sql" && req.method === "POST") {
      let op;
      if (Array.isArray(body.batch)) {
        op = { kind: "batch", session: null, stmts: body.batch.map((s) => ({ sql: s.sql, params: s.params ?? [] })) };
      } else if (typeof body.exec === "string") {
        op = { kind: "exec", session: null, sql: body.exec };
      } else if (typeof body.sql === "string") {
        op = { kind: "all", session: null, stmts: [{ sql: body.sql, params: body.params ?? [] }] };
      } else {
        return sendJson(res, 400, { error: 'expected {"sql", "params"}, {"batch": [...]} or {"exec": "..."}' });
      }
      // Straight to the bridge: the fault injector only sits in front of the app's binding.
      const reply = await client.send(op);
      return reply.ok ? sendJson(res, 200, reply.value) : sendJson(res, 400, { error: reply.error.message });
    }
    return sendJson(res, 404, { error: `no runtime route ${req.method} ${url.pathname}` });
  }

  async function handleFetch(req, url, res) {
    let body;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.setHeader("connection", "close");
        return sendPlain(res, 413, "413 Request Entity Too Large");
      }
      throw err;
    }
    const request = buildRequest(req, url, body);
    const ctx = newContext();
    let response;
    try {
      response = await python.fetch(request, env, ctx);
      if (!(response instanceof Response)) {
        throw new TypeError("Incorrect type for Promise: the Promise did not resolve to 'Response'.");
      }
    } catch (err) {
      logErr(`Uncaught exception in fetch (${req.method} ${url.pathname}): ${errorText(err)}`);
      trackBackground(ctx);
      return sendPlain(res, 500, INTERNAL_ERROR, "application/json");
    }
    trackBackground(ctx);
    await sendResponse(res, response, { head: req.method === "HEAD" });
  }

  server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, `http://${req.headers.host || `${displayHost(opts.host)}:${opts.port}`}`);
      if (opts.testEndpoints && url.pathname.startsWith("/__runtime/")) return await handleControl(req, url, res);
      if (url.pathname === "/cdn-cgi/handler/scheduled" || url.pathname === "/__scheduled") {
        return await handleScheduled(url, res);
      }
      return await handleFetch(req, url, res);
    } catch (err) {
      logErr(`edgejobs runtime: internal error: ${err?.stack ?? err}`);
      if (!res.headersSent) sendPlain(res, 500, INTERNAL_ERROR, "application/json");
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;

  await new Promise((resolve) => {
    server.once("error", (err) => {
      const reason = err.code === "EADDRINUSE" ? `port ${opts.port} on ${opts.host} is already in use` : errorText(err);
      mf.dispose().finally(() => fail(`cannot listen: ${reason}`));
    });
    server.listen(opts.port, opts.host, resolve);
  });
  const port = server.address().port;
  const url = `http://${displayHost(opts.host)}:${port}`;

  // --- cron triggers ------------------------------------------------------------------------
  if (opts.cron && crons.length) {
    const logLine = (fields) => process.stdout.write(`${JSON.stringify({ event: "scheduled", ...fields })}\n`);
    stopCron = startCronScheduler(crons, {
      async run(cron, scheduledTime) {
        const started = performance.now();
        const error = await runScheduled(cron, scheduledTime);
        logLine({
          cron,
          scheduled_time: new Date(scheduledTime).toISOString(),
          outcome: error ? "exception" : "ok",
          duration_ms: Math.round(performance.now() - started),
          ...(error ? { error: errorText(error).split("\n").filter(Boolean).at(-1) } : {}),
        });
      },
      onSkip(cron, scheduledTime) {
        logLine({ cron, scheduled_time: new Date(scheduledTime).toISOString(), outcome: "skipped", reason: "previous run still in progress" });
      },
    });
  }

  // --- ready --------------------------------------------------------------------------------
  const ready = {
    url,
    port,
    startup_ms: Math.round(Date.now() - startedAt),
    pyodide_load_ms: python.timings.pyodide_load_ms,
    sdk_import_ms: python.timings.sdk_import_ms,
    app_import_ms: python.timings.app_import_ms,
  };
  process.stdout.write(`EDGEJOBS_READY ${JSON.stringify(ready)}\n`);
  process.stdout.write(`edgejobs local runtime listening on ${url}\n`);
  const details = [
    `workers-runtime-sdk ${sdkVersion(sdkDir)}`,
    python.fromSnapshot ? "Pyodide restored from snapshot" : "Pyodide cold start",
    `/session/metadata = ${config.mainDir}`,
    `D1 ${config.d1.binding} (${config.d1.databaseId}) in ${path.join(persistTo, "v3", "d1")}`,
    `secrets: ${secrets.file ?? "none"}`,
    `crons: ${opts.cron ? crons.map((c) => c.expr).join(", ") || "none" : "disabled"}`,
    ...(python.jspi ? ["JSPI on: Python called promising, like workerd"] : []),
    ...(opts.testEndpoints ? ["test endpoints enabled under /__runtime/"] : []),
  ];
  logErr(`edgejobs runtime: ${details.join("; ")}`);
}
