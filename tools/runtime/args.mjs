// Command-line parsing for server.mjs (pure, so it is unit-tested).
//
// A Node 22 quirk to know about: node itself also acts on `--env-file PATH` anywhere on its
// command line, even after the script name. It loads the file into process.env (harmless
// here) and, if the file does not exist, exits with code 9 before this script runs.

export const USAGE = `Usage: node tools/runtime/server.mjs [options]

Serves the Python Worker in wrangler.toml locally (real Pyodide + Miniflare's D1), offline.

Options:
  --config PATH        wrangler.toml to read (default: ./wrangler.toml)
  --port N             port to listen on (default: $PORT, else 8787; 0 picks a free port)
  --host HOST          interface to bind (default: 127.0.0.1)
  --persist-to DIR     local state dir, as for wrangler (default: .wrangler/state next to the config)
  --env-file PATH      secrets file in dotenv format (default: .dev.vars next to the config)
  --no-env-file        load no secrets file
  --var NAME=VALUE     set or override a var (repeatable)
  --no-cron            do not fire [triggers] crons on their schedule
  --test-endpoints     enable /__runtime/* control routes (tests only)
  --cpu-timing         add x-runtime-cpu-ms to each response: the Worker's CPU time, D1 excluded (bench)
  -h, --help           show this help
`;

export class UsageError extends Error {
  name = "UsageError";
}

const VALUE_OPTIONS = new Set(["--config", "--port", "--host", "--persist-to", "--env-file", "--var"]);
const FLAG_OPTIONS = new Set(["--no-env-file", "--no-cron", "--test-endpoints", "--cpu-timing", "--help", "-h"]);

function parsePort(text) {
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`invalid port "${text}" (expected 0-65535)`);
  }
  return Number(text);
}

/** Parses argv (without node and script) and the environment into an options object. */
export function parseArgs(argv, env = {}) {
  const opts = {
    config: "wrangler.toml",
    port: null,
    host: "127.0.0.1",
    persistTo: null,
    envFile: null,
    noEnvFile: false,
    vars: {},
    cron: true,
    testEndpoints: false,
    cpuTiming: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq !== -1 && VALUE_OPTIONS.has(arg.slice(0, eq))) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    } else if (VALUE_OPTIONS.has(arg)) {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
      value = argv[++i];
    } else if (!FLAG_OPTIONS.has(arg)) {
      throw new UsageError(`unknown option "${arg}"`);
    }
    switch (arg) {
      case "--config":
        opts.config = value;
        break;
      case "--port":
        opts.port = parsePort(value);
        break;
      case "--host":
        opts.host = value;
        break;
      case "--persist-to":
        opts.persistTo = value;
        break;
      case "--env-file":
        opts.envFile = value;
        break;
      case "--var": {
        const at = value.indexOf("=");
        if (at <= 0) throw new UsageError(`--var expects NAME=VALUE, got "${value}"`);
        opts.vars[value.slice(0, at)] = value.slice(at + 1);
        break;
      }
      case "--no-env-file":
        opts.noEnvFile = true;
        break;
      case "--no-cron":
        opts.cron = false;
        break;
      case "--test-endpoints":
        opts.testEndpoints = true;
        break;
      case "--cpu-timing":
        opts.cpuTiming = true;
        break;
      case "--help":
      case "-h":
        opts.help = true;
        break;
    }
  }
  if (opts.envFile !== null && opts.noEnvFile) {
    throw new UsageError("--env-file and --no-env-file exclude each other");
  }
  if (opts.port === null) {
    opts.port = env.PORT !== undefined && env.PORT !== "" ? parsePort(env.PORT) : 8787;
  }
  return opts;
}
