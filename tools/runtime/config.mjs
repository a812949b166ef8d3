// Reads wrangler.toml the way `wrangler dev` does for the parts this runtime serves:
// `main`, one `[[d1_databases]]`, `[vars]`, `[triggers] crons`, `[assets]`, and the
// compatibility settings that decide the Python Workers compatibility flags.

import fs from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { parseDotenv } from "./dotenv.mjs";

export class ConfigError extends Error {
  name = "ConfigError";
}

// Compatibility flags the Python SDK reads through `_cloudflare_compat_flags`, with the date
// from which workerd enables them by default (read from workerd's compatibility-date.capnp).
const PYTHON_COMPAT_FLAGS = [
  {
    name: "python_workflows_implicit_dependencies",
    disable: "no_python_workflows_implicit_dependencies",
    date: "2026-02-25",
  },
  {
    name: "python_request_headers_preserve_commas",
    disable: "disable_python_request_headers_preserve_commas",
    date: "2026-02-17",
  },
];

/** The `_cloudflare_compat_flags` object for a compatibility date and flag list. */
export function computeCompatFlags(compatibilityDate, compatibilityFlags = []) {
  const flags = {};
  for (const flag of compatibilityFlags) flags[flag] = true;
  for (const { name, disable, date } of PYTHON_COMPAT_FLAGS) {
    if (compatibilityFlags.includes(disable)) flags[name] = false;
    else flags[name] = compatibilityFlags.includes(name) || (compatibilityDate ?? "") >= date;
  }
  return flags;
}

/** Parses and validates a wrangler.toml text. `configDir` anchors relative paths. */
export function parseWranglerConfig(text, configDir, configPath = "wrangler.toml") {
  let raw;
  try {
    raw = parseToml(text);
  } catch (err) {
    throw new ConfigError(`${configPath}: ${err.message}`);
  }
  if (typeof raw.main !== "string" || !raw.main.endsWith(".py")) {
    throw new ConfigError(`${configPath}: "main" must name the Python entry module (e.g. "src/entry.py")`);
  }
  const d1 = raw.d1_databases ?? [];
  if (!Array.isArray(d1) || d1.length !== 1) {
    throw new ConfigError(
      `${configPath}: expected exactly one [[d1_databases]] entry, found ${Array.isArray(d1) ? d1.length : "an invalid value"}`,
    );
  }
  const db = d1[0];
  if (typeof db.binding !== "string" || db.binding === "") {
    throw new ConfigError(`${configPath}: [[d1_databases]] needs a "binding" name`);
  }
  // Same id choice as `wrangler dev` (d1DatabaseEntry): preview id, else id, else binding.
  // Miniflare names the SQLite file after it, so `wrangler d1 execute --local` finds it.
  const databaseId = db.preview_database_id ?? db.database_id ?? db.binding;
  const vars = {};
  for (const [key, value] of Object.entries(raw.vars ?? {})) {
    // wrangler passes string vars as strings and any other TOML value as JSON.
    vars[key] = value;
  }
  const crons = raw.triggers?.crons ?? [];
  if (!Array.isArray(crons) || crons.some((c) => typeof c !== "string")) {
    throw new ConfigError(`${configPath}: [triggers] crons must be a list of strings`);
  }
  const mainPath = path.resolve(configDir, raw.main);
  return {
    name: raw.name ?? "worker",
    configDir,
    mainPath,
    mainDir: path.dirname(mainPath),
    mainModule: path.basename(mainPath, ".py"),
    compatibilityDate: raw.compatibility_date ?? null,
    compatibilityFlags: raw.compatibility_flags ?? [],
    d1: { binding: db.binding, databaseId, databaseName: db.database_name ?? null },
    vars,
    crons,
    assets: raw.assets === undefined ? null : parseAssets(raw.assets, configDir, configPath),
  };
}

export function loadWranglerConfig(configPath) {
  const abs = path.resolve(configPath);
  let text;
  try {
    text = fs.readFileSync(abs, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${configPath}: ${err.code ?? err.message}`);
  }
  const config = parseWranglerConfig(text, path.dirname(abs), configPath);
  if (!fs.existsSync(config.mainPath)) {
    throw new ConfigError(`${configPath}: main module ${config.mainPath} does not exist`);
  }
  return config;
}

/**
 * Secrets like `wrangler dev`: `.dev.vars` next to the config unless another file is named
 * or none is wanted. A missing default file is fine; a missing named file is an error.
 */
export function loadSecrets(config, { envFile, noEnvFile }) {
  if (noEnvFile) return { file: null, values: {} };
  const file = envFile ? path.resolve(envFile) : path.join(config.configDir, ".dev.vars");
  if (!fs.existsSync(file)) {
    if (envFile) throw new ConfigError(`--env-file ${envFile} does not exist`);
    return { file: null, values: {} };
  }
  return { file, values: parseDotenv(fs.readFileSync(file, "utf8")) };
}

// --- [assets] -------------------------------------------------------------------------------
// Checked like wrangler checks it, and turned into the router configuration Cloudflare's asset
// routing reads (what wrangler uploads with a Worker).

const HTML_HANDLING = ["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"];
const NOT_FOUND_HANDLING = ["none", "404-page", "single-page-application"];

/**
 * `run_worker_first` as routing rules: `true`/`false` (every request to the Worker first, or
 * assets first), or patterns where `/api/*` sends matching paths to the Worker first and
 * `!/api/docs/*` sends them to the assets even so (negative rules win).
 */
export function staticRouting(runWorkerFirst, where = "[assets] run_worker_first") {
  if (typeof runWorkerFirst === "boolean") return { invoke_user_worker_ahead_of_assets: runWorkerFirst };
  if (!Array.isArray(runWorkerFirst) || runWorkerFirst.length === 0) {
    throw new ConfigError(`${where} must be true, false or a non-empty list of path patterns`);
  }
  const user_worker = [];
  const asset_worker = [];
  for (const rule of runWorkerFirst) {
    if (typeof rule === "string" && rule.startsWith("!/")) asset_worker.push(rule.slice(1));
    else if (typeof rule === "string" && rule.startsWith("/")) user_worker.push(rule);
    else throw new ConfigError(`${where}: ${JSON.stringify(rule)}: rules must start with '/' or '!/'`);
  }
  if (user_worker.length === 0) throw new ConfigError(`${where}: only negative rules; give at least one '/...' rule`);
  return { static_routing: { user_worker, asset_worker } };
}

function oneOf(value, allowed, name) {
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) throw new ConfigError(`[assets] ${name} must be one of ${allowed.join(", ")}`);
  return value;
}

/** Parses [assets]: {directory (absolute), binding | null, routing, htmlHandling?, notFoundHandling?}. */
export function parseAssets(raw, configDir, configPath = "wrangler.toml") {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`${configPath}: [assets] must be a table`);
  }
  if (typeof raw.directory !== "string" || raw.directory === "") {
    throw new ConfigError(`${configPath}: [assets] needs a "directory"`);
  }
  if (raw.binding !== undefined && (typeof raw.binding !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw.binding))) {
    throw new ConfigError(`${configPath}: [assets] binding must be a name like "ASSETS"`);
  }
  return {
    directory: path.resolve(configDir, raw.directory),
    binding: raw.binding ?? null,
    routing: raw.run_worker_first === undefined ? {} : staticRouting(raw.run_worker_first),
    htmlHandling: oneOf(raw.html_handling, HTML_HANDLING, "html_handling"),
    notFoundHandling: oneOf(raw.not_found_handling, NOT_FOUND_HANDLING, "not_found_handling"),
  };
}
