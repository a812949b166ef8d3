// Miniflare (workerd) running the bridge Worker (d1-bridge-worker.js), which holds the real D1
// binding and, when wrangler.toml has [assets], the real static-asset service.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BRIDGE_SCRIPT = path.join(HERE, "d1-bridge-worker.js");
// The bridge Worker is plain JS glue; any date this workerd supports will do.
const BRIDGE_COMPATIBILITY_DATE = "2026-07-01";
// Miniflare is a CommonJS bundle: require() skips the ESM loader's export scan of its ~4 MB
// source, which costs ~250 ms of start-up.
const requireMiniflare = () => createRequire(import.meta.url)("miniflare");

/** The D1 directory under a persist dir, where `wrangler d1 ... --local` looks too. */
export const d1PersistDir = (persistTo) => path.join(persistTo, "v3", "d1");

/** The bridge's ASSETS binding: workerd's asset service over the [assets] directory. */
function assetsOptions(config) {
  const { directory, routing, htmlHandling, notFoundHandling } = config.assets;
  const assetConfig = { compatibility_date: config.compatibilityDate, compatibility_flags: config.compatibilityFlags };
  if (htmlHandling) assetConfig.html_handling = htmlHandling;
  if (notFoundHandling) assetConfig.not_found_handling = notFoundHandling;
  return { directory, binding: "ASSETS", routerConfig: { has_user_worker: true, ...routing }, assetConfig };
}

/** Miniflare's options for the bridge Worker. */
export function bridgeOptions({ config, persistTo, Log, LogLevel }) {
  const assets = config.assets ? { name: "edgejobs-bridge", assets: assetsOptions(config) } : {};
  return {
    ...assets,
    modules: true,
    script: fs.readFileSync(BRIDGE_SCRIPT, "utf8"),
    scriptPath: BRIDGE_SCRIPT,
    // Module names are relative to this root (by default the working directory, which fails
    // in workerd with "can't use '..'" when the runtime is started from another directory).
    modulesRoot: HERE,
    compatibilityDate: BRIDGE_COMPATIBILITY_DATE,
    // Node's WebSocket asks for permessage-deflate; compressing every D1 message both ways
    // costs more CPU than the loopback bytes it saves.
    compatibilityFlags: ["no_web_socket_compression"],
    d1Databases: { DB: config.d1.databaseId },
    d1Persist: d1PersistDir(persistTo),
    // A direct socket to the bridge Worker, skipping Miniflare's entry Worker (faster).
    unsafeDirectSockets: [{}],
    log: new Log(LogLevel.WARN),
    // No Request.cf download (it would try the network); the bridge never reads it.
    cf: false,
  };
}

/**
 * Starts workerd with the bridge. Returns {mf, url, dispose}: `url` resolves to the bridge's
 * direct URL once workerd is up; `dispose()` stops workerd (never rejects).
 */
export function startBridge({ config, persistTo }) {
  const { Log, LogLevel, Miniflare } = requireMiniflare();
  const mf = new Miniflare(bridgeOptions({ config, persistTo, Log, LogLevel }));
  const url = (async () => {
    await mf.ready;
    return mf.unsafeGetDirectURL();
  })();
  return { mf, url, dispose: () => mf.dispose().catch(() => {}) };
}
