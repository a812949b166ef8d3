// The serving side of the local runtime (server.mjs handles the command line).
//
// Start-up runs Miniflare (the bridge Worker with the real D1 binding, bridge.mjs) and Pyodide
// (the Worker's Python, python.mjs) in parallel, then serves HTTP (requests.mjs) and fires the
// cron triggers (cron.mjs) until a signal or the parent stops it (lifecycle.mjs).

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { AssetRouter, Fetcher } from "./assets.mjs";
import { d1PersistDir, startBridge } from "./bridge.mjs";
import { ConfigError, computeCompatFlags, loadSecrets, loadWranglerConfig } from "./config.mjs";
import { CPU_HEADER, CpuMeter } from "./cpu.mjs";
import { CronSyntaxError, parseCron, startCronScheduler } from "./cron.mjs";
import { D1BridgeClient, D1Database } from "./d1.mjs";
import { FaultError, FaultInjector, parseFaultEnv } from "./faults.mjs";
import { WorkerInvoker } from "./invoke.mjs";
import { installShutdownTriggers } from "./lifecycle.mjs";
import { errorText, logErr, logOut, settleWithin } from "./log.mjs";
import { startPython } from "./python.mjs";
import { displayHost, requestListener } from "./requests.mjs";
import { PythonStartupError, findSdkDir, sdkVersion } from "./sdk.mjs";

function fail(message) {
  logErr(`edgejobs runtime: ${message}`);
  process.exit(1);
}

/** Everything read before starting: wrangler.toml, secrets, the SDK, faults, crons. */
function loadSetup(opts) {
  let setup;
  try {
    const config = loadWranglerConfig(opts.config);
    setup = {
      config,
      secrets: loadSecrets(config, opts),
      sdkDir: findSdkDir(config.configDir),
      faults: new FaultInjector(parseFaultEnv(process.env.EDGEJOBS_D1_FAULTS)),
    };
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PythonStartupError || err instanceof FaultError) fail(err.message);
    throw err;
  }
  const { config } = setup;
  if (config.assets && !fs.existsSync(config.assets.directory)) {
    logErr(
      `edgejobs runtime: warning: [assets] directory ${config.assets.directory} does not exist; serving no assets`,
    );
  }
  setup.persistTo = opts.persistTo ? path.resolve(opts.persistTo) : path.join(config.configDir, ".wrangler", "state");
  setup.crons = [];
  for (const expr of config.crons) {
    try {
      setup.crons.push(parseCron(expr));
    } catch (err) {
      if (!(err instanceof CronSyntaxError)) throw err;
      logErr(`edgejobs runtime: warning: ${err.message}; this trigger will not fire locally`);
    }
  }
  return setup;
}

/** Fires the cron triggers on their schedule; logs one JSON line per run. Returns stop(). */
function startCronTriggers(crons, invoker) {
  const logLine = (fields) => logOut(JSON.stringify({ event: "scheduled", ...fields }));
  return startCronScheduler(crons, {
    async run(cron, scheduledTime) {
      const started = performance.now();
      const error = await invoker.scheduled(cron, scheduledTime);
      logLine({
        cron,
        scheduled_time: new Date(scheduledTime).toISOString(),
        outcome: error ? "exception" : "ok",
        duration_ms: Math.round(performance.now() - started),
        ...(error ? { error: errorText(error).split("\n").filter(Boolean).at(-1) } : {}),
      });
    },
    onSkip(cron, scheduledTime) {
      const scheduled_time = new Date(scheduledTime).toISOString();
      logLine({ cron, scheduled_time, outcome: "skipped", reason: "previous run still in progress" });
    },
  });
}

export async function runRuntime(opts, { startedAt }) {
  const { config, secrets, sdkDir, faults, persistTo, crons } = loadSetup(opts);

  // The env object the Worker sees: [vars], then secrets, then --var, all as given
  // (strings from wrangler.toml and .dev.vars), the D1 binding and the assets binding.
  const env = { ...config.vars, ...secrets.values, ...opts.vars };
  let resolveBridgeUrl;
  const bridgeUrl = new Promise((resolve) => (resolveBridgeUrl = resolve));
  const meter = opts.cpuTiming ? new CpuMeter() : null;
  const client = new D1BridgeClient(bridgeUrl, meter);
  env[config.d1.binding] = new D1Database({ client, faults });
  const assets = config.assets ? new AssetRouter(bridgeUrl, config.assets.routing) : null;
  if (config.assets?.binding) env[config.assets.binding] = new Fetcher(bridgeUrl);

  // --- start Pyodide and Miniflare in parallel --------------------------------------------
  // Pyodide first: its file reads and WebAssembly compilation then overlap the ~0.3 s it
  // takes to load Miniflare, and workerd boots in its own process meanwhile.
  const onBackgroundError = (err) => logErr(`Uncaught (in promise) ${errorText(err)}`);
  const pythonReady = startPython({
    config,
    sdkDir,
    env,
    compatFlags: computeCompatFlags(config.compatibilityDate, config.compatibilityFlags),
    stdout: logOut,
    stderr: logErr,
    onBackgroundError,
  });
  pythonReady.catch(() => {}); // reported below, once Miniflare can be disposed of too
  const bridge = startBridge({ config, persistTo });

  // --- shutdown -----------------------------------------------------------------------------
  // Installed as soon as workerd exists, so a signal during start-up also tears it down.
  let server = null;
  let invoker = null;
  let stopCron = () => {};
  let closing = false;
  async function shutdown() {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(0), 1900).unref();
    stopCron();
    if (server) {
      server.close();
      server.closeAllConnections();
      await invoker?.drain(800);
    }
    client.close();
    await settleWithin(bridge.dispose(), 800);
    process.exit(0);
  }
  installShutdownTriggers(shutdown);

  const bridgeReady = (async () => {
    resolveBridgeUrl(await bridge.url);
    await client.connect();
  })();

  let python;
  try {
    [python] = await Promise.all([pythonReady, bridgeReady]);
  } catch (err) {
    if (closing) return; // a signal arrived during start-up; shutdown() is exiting
    await settleWithin(bridge.dispose(), 1000);
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

  // --- serving ------------------------------------------------------------------------------
  invoker = new WorkerInvoker(python, env, onBackgroundError);
  server = http.createServer(requestListener({ opts, config, invoker, faults, client, assets, meter }));
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve) => {
    server.once("error", (err) => {
      const reason = err.code === "EADDRINUSE" ? `port ${opts.port} on ${opts.host} is already in use` : errorText(err);
      bridge.dispose().finally(() => fail(`cannot listen: ${reason}`));
    });
    server.listen(opts.port, opts.host, resolve);
  });
  const port = server.address().port;
  const url = `http://${displayHost(opts.host)}:${port}`;
  if (opts.cron && crons.length) stopCron = startCronTriggers(crons, invoker);

  // --- ready --------------------------------------------------------------------------------
  const ready = {
    url,
    port,
    startup_ms: Math.round(Date.now() - startedAt),
    pyodide_load_ms: python.timings.pyodide_load_ms,
    sdk_import_ms: python.timings.sdk_import_ms,
    app_import_ms: python.timings.app_import_ms,
  };
  logOut(`EDGEJOBS_READY ${JSON.stringify(ready)}`);
  logOut(`edgejobs local runtime listening on ${url}`);
  const details = [
    `workers-runtime-sdk ${sdkVersion(sdkDir)}`,
    python.fromSnapshot ? "Pyodide restored from snapshot" : "Pyodide cold start",
    `/session/metadata = ${config.mainDir}`,
    `D1 ${config.d1.binding} (${config.d1.databaseId}) in ${d1PersistDir(persistTo)}`,
    `secrets: ${secrets.file ?? "none"}`,
    ...(config.assets
      ? [`assets: ${config.assets.directory}${config.assets.binding ? ` (env.${config.assets.binding})` : ""}`]
      : []),
    `crons: ${opts.cron ? crons.map((c) => c.expr).join(", ") || "none" : "disabled"}`,
    ...(python.jspi ? ["JSPI on: Python called promising, like workerd"] : []),
    ...(opts.testEndpoints ? ["test endpoints enabled under /__runtime/"] : []),
  ];
  logErr(`edgejobs runtime: ${details.join("; ")}`);
}
