// Runs the Worker's Python in the real Pyodide (npm `pyodide`, the same build as Python
// Workers) and calls its `Default` entrypoint the way workerd's python-entrypoint-helper does.
//
// What is mirrored from workerd (its `pyodide:python-entrypoint-helper` and
// `pyodide-internal:introspection.py`):
// - the modules live in /session/metadata (the working directory and first on sys.path), the
//   workers SDK next to them; no other package can be imported;
// - `_pyodide_entrypoint_helper` and `_cloudflare_compat_flags` are JS modules;
// - a new `Default(ctx, env)` is created for every event (workerd constructs the entrypoint
//   class per request), with a per-event ctx whose waitUntil is patched for Python awaitables;
// - fetch goes through `wrapper_func` (python_from_rpc on the arguments, relaxed_call,
//   python_to_rpc on the result); scheduled is a relaxed call;
// - both get (event, undefined, undefined): workerd calls a class-based entrypoint's handlers
//   without env and ctx, which the instance got in its constructor (seen in Miniflare: a JS
//   WorkerEntrypoint's fetch and scheduled get three arguments, the last two undefined);
// - with JSPI (node --experimental-wasm-jspi) every call is "promising" as in workerd, so
//   pyodide.ffi.run_sync works in handlers; without it (the default, much faster on Node 22)
//   the same calls are made plainly.

import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

// Python side of the glue; `wrapper_func` is workerd's introspection.wrapper_func verbatim.
const GLUE = String.raw`
import sys
from inspect import isawaitable

from pyodide.code import relaxed_call
from workers import WorkerEntrypoint, python_from_rpc, python_to_rpc


def import_main(name):
    try:
        # __import__ (not importlib.import_module) so tracebacks drop importlib's frames.
        __import__(name)
        return sys.modules[name]
    except ModuleNotFoundError as exc:
        if exc.name == "src":
            exc.add_note(
                "If your main module is inside the 'src' directory then your import "
                "statement shouldn't include a 'src.' prefix"
            )
        raise


def default_class(module):
    cls = getattr(module, "Default", None)
    if cls is None:
        raise TypeError("There is no 'Default' class defined in the Python Worker's main module")
    if not (isinstance(cls, type) and issubclass(cls, WorkerEntrypoint)):
        raise TypeError("'Default' in the Python Worker's main module must subclass workers.WorkerEntrypoint")
    return cls


async def wrapper_func(relaxed, inst, prop, *args, **kwargs):
    method = getattr(inst, prop)
    py_args = [python_from_rpc(arg) for arg in args]
    py_kwargs = {k: python_from_rpc(v) for k, v in kwargs.items()}
    result = (
        relaxed_call(method, *py_args, **py_kwargs)
        if relaxed
        else method(*py_args, **py_kwargs)
    )
    if isawaitable(result):
        return python_to_rpc(await result)
    else:
        return python_to_rpc(result)
`;

export class PythonStartupError extends Error {
  name = "PythonStartupError";
}

/**
 * Finds the directory that holds the `workers` package: $EDGEJOBS_SDK_DIR, else the project's
 * virtualenv site-packages (where `make install` puts workers-runtime-sdk).
 */
export function findSdkDir(projectDir, env = process.env) {
  if (env.EDGEJOBS_SDK_DIR) {
    const dir = path.resolve(env.EDGEJOBS_SDK_DIR);
    if (!fs.existsSync(path.join(dir, "workers", "__init__.py"))) {
      throw new PythonStartupError(`EDGEJOBS_SDK_DIR=${dir} has no workers/__init__.py`);
    }
    return dir;
  }
  const lib = path.join(projectDir, ".venv", "lib");
  const candidates = fs.existsSync(lib)
    ? fs
        .readdirSync(lib)
        .filter((d) => d.startsWith("python3"))
        .map((d) => path.join(lib, d, "site-packages"))
        .filter((d) => fs.existsSync(path.join(d, "workers", "__init__.py")))
    : [];
  if (candidates.length === 0) {
    throw new PythonStartupError(
      `the Python Workers SDK (workers-runtime-sdk) was not found in ${lib}/python3*/site-packages; ` +
        "run `make install` first (or set EDGEJOBS_SDK_DIR to a site-packages dir holding workers/)",
    );
  }
  return candidates[0];
}

/** Reads the installed SDK version from its dist-info, for the startup log. */
export function sdkVersion(sdkDir) {
  const info = fs.readdirSync(sdkDir).find((d) => /^workers_runtime_sdk-.*\.dist-info$/.test(d));
  return info ? info.replace(/^workers_runtime_sdk-|\.dist-info$/g, "") : "unknown";
}

const waitUntilPatched = new WeakSet();

// workerd's patchWaitUntil: a Python awaitable handed to waitUntil is a borrowed PyProxy that
// dies when the call returns, so keep a copy and await it (which schedules the coroutine).
function patchWaitUntil(ctx) {
  let tag;
  try {
    tag = Object.prototype.toString.call(ctx);
  } catch {}
  if (tag !== "[object ExecutionContext]" || waitUntilPatched.has(ctx)) return;
  const origWaitUntil = ctx.waitUntil.bind(ctx);
  ctx.waitUntil = function waitUntil(p) {
    origWaitUntil(
      (async function () {
        if ("copy" in p) p = p.copy();
        await p;
        if ("destroy" in p) p.destroy();
      })(),
    );
  };
  waitUntilPatched.add(ctx);
}

/**
 * The per-event `ctx`. waitUntil promises are collected so that scheduled events can await
 * them and shutdown can wait briefly for them; their failures are logged like workerd's
 * "Uncaught (in promise)".
 */
export class ExecutionContext {
  #promises = [];
  #onError;

  constructor(onError) {
    this.#onError = onError;
    this.props = {};
  }

  get [Symbol.toStringTag]() {
    return "ExecutionContext";
  }

  waitUntil(promise) {
    // Like workerd, any value is accepted and treated as a promise of it.
    const settled = Promise.resolve(promise).then(
      () => ({ ok: true }),
      (error) => {
        this.#onError(error);
        return { ok: false, error };
      },
    );
    this.#promises.push(settled);
  }

  passThroughOnException() {}

  /** Waits for every waitUntil promise, including ones added while waiting. */
  async settle() {
    const results = [];
    for (let seen = 0; seen < this.#promises.length; ) {
      const batch = this.#promises.slice(seen);
      seen += batch.length;
      results.push(...(await Promise.all(batch)));
    }
    return results;
  }

  get pending() {
    return this.#promises.length;
  }
}

/** `controller` for scheduled(): the fields of workerd's ScheduledController. */
export class ScheduledController {
  constructor(cron, scheduledTime) {
    this.cron = cron;
    this.scheduledTime = scheduledTime;
    this.type = "scheduled";
  }

  noRetry() {}
}

// Standard-library modules imported before the snapshot is taken: what the workers SDK pulls
// in plus what small Workers commonly use. Only pure stdlib (plus pyodide.http, which the SDK
// imports) so the snapshot holds no references to this process's JS objects.
const SNAPSHOT_PRELOAD = [
  "asyncio", "base64", "collections.abc", "contextlib", "dataclasses", "datetime", "decimal",
  "email.message", "email.parser", "email.utils", "enum", "functools", "gzip", "hashlib", "hmac",
  "http", "http.client", "inspect", "ipaddress", "json", "logging", "re", "typing", "urllib.parse",
  "uuid", "zlib", "pyodide.http",
];
const SNAPSHOT_FORMAT = 1;

/** node_modules/.cache/edgejobs-runtime next to the pyodide package, or null if unwritable. */
function findCacheDir() {
  if (process.env.EDGEJOBS_RUNTIME_NO_CACHE) return null;
  const pyodideDir = path.dirname(require.resolve("pyodide/package.json"));
  const dir = path.join(pyodideDir, "..", ".cache", "edgejobs-runtime");
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return dir;
  } catch {
    return null;
  }
}

/** Keeps the three newest snapshots (~30 MB each; one per Pyodide/Node combination). */
function pruneSnapshots(cacheDir, keep) {
  const files = fs
    .readdirSync(cacheDir)
    .filter((f) => f.endsWith(".snapshot"))
    .map((f) => path.join(cacheDir, f))
    .filter((f) => f !== keep)
    .map((f) => ({ f, mtime: fs.statSync(f).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { f } of files.slice(2)) fs.rmSync(f, { force: true });
}

/** Copies the host directory `from` into Pyodide's in-memory file system at `to` (files keep
 *  their modification times; __pycache__ directories are skipped). */
function copyIntoMemory(FS, from, to) {
  FS.mkdirTree(to);
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = `${to}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== "__pycache__") copyIntoMemory(FS, source, target);
    } else if (entry.isFile()) {
      FS.writeFile(target, fs.readFileSync(source));
      const { mtimeMs } = fs.statSync(source);
      FS.utime(target, mtimeMs, mtimeMs);
    }
  }
}

/** Writes the files under the in-memory `from` modified since `since` (ms) to the host
 *  directory `to`: the bytecode this start-up's imports wrote (files copied in keep their
 *  host modification times, so they are skipped without being read again). */
function copyOutOfMemory(FS, from, to, since) {
  for (const name of FS.readdir(from)) {
    if (name === "." || name === "..") continue;
    const source = `${from}/${name}`;
    const target = path.join(to, name);
    const stat = FS.stat(source);
    if (FS.isDir(stat.mode)) {
      fs.mkdirSync(target, { recursive: true });
      copyOutOfMemory(FS, source, target, since);
      continue;
    }
    if (+stat.mtime < since) continue;
    const data = FS.readFile(source);
    const tmp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target); // atomic, like importlib's own writes
  }
}

/**
 * Starts the interpreter. Booting Pyodide and importing the stdlib takes ~3 s; restoring a
 * memory snapshot of that state takes ~0.5 s (production Python Workers start from a
 * snapshot too). The snapshot is made on first use and cached, keyed by everything that
 * shapes it; a snapshot that fails to load is discarded and rebuilt.
 */
async function loadInterpreter({ cacheDir, jspi, stdout, stderr }) {
  const { loadPyodide, version } = await import("pyodide");
  const options = {
    indexURL: path.dirname(require.resolve("pyodide/package.json")) + path.sep,
    stdout,
    stderr,
    // Never write __pycache__ next to sources; see the pycache_prefix set up after loading.
    env: { PYTHONDONTWRITEBYTECODE: "1", HOME: "/home/pyodide" },
  };
  if (!cacheDir) return { pyodide: await loadPyodide(options), fromSnapshot: false };
  const key = createHash("sha256")
    .update(JSON.stringify([SNAPSHOT_FORMAT, version, process.version, jspi, SNAPSHOT_PRELOAD]))
    .digest("hex")
    .slice(0, 16);
  const file = path.join(cacheDir, `pyodide-${version}-${key}.snapshot`);
  if (fs.existsSync(file)) {
    try {
      return { pyodide: await loadPyodide({ ...options, _loadSnapshot: fs.readFileSync(file) }), fromSnapshot: true };
    } catch (err) {
      stderr(`edgejobs runtime: discarding unusable Pyodide snapshot ${file}: ${err?.message ?? err}`);
      fs.rmSync(file, { force: true });
    }
  }
  const pyodide = await loadPyodide({ ...options, _makeSnapshot: true });
  pyodide.runPython(`import importlib\nfor _m in ${JSON.stringify(SNAPSHOT_PRELOAD)}: importlib.import_module(_m)\ndel _m`);
  const snapshot = pyodide.makeMemorySnapshot();
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, snapshot);
  fs.renameSync(tmp, file); // atomic: a concurrent start sees the whole file or none
  pruneSnapshots(cacheDir, file);
  return { pyodide, fromSnapshot: false };
}

/**
 * Loads Pyodide, mounts the Worker's modules and the SDK, imports the main module.
 * Returns {timings, fetch(request, env, ctx), scheduled(controller, env, ctx)}.
 * Throws PythonStartupError (with the Python traceback as message) if the import fails.
 */
export async function startPython({ config, sdkDir, env, compatFlags, stdout, stderr, onBackgroundError }) {
  const jspi = "Suspending" in WebAssembly || "Suspender" in WebAssembly;
  const timings = {};
  const cacheDir = findCacheDir();
  let t = performance.now();
  const { pyodide, fromSnapshot } = await loadInterpreter({ cacheDir, jspi, stdout, stderr });
  timings.pyodide_load_ms = Math.round(performance.now() - t);
  // Nothing can install packages at runtime in a Worker.
  pyodide.loadPackage = () => {
    throw new Error("pyodide.loadPackage is disabled");
  };

  // The Worker's modules live in memory, as in workerd (its bundle is an in-memory file
  // system): copied at start, with their modification times, so the bytecode cache stays valid.
  // (Mounting the directory with NODEFS instead made every import pay several host file-system
  // calls through JS: about a third of the app's import time.)
  copyIntoMemory(pyodide.FS, config.mainDir, "/session/metadata");
  copyIntoMemory(pyodide.FS, path.join(sdkDir, "workers"), "/session/sdk/workers");
  const asgi = path.join(sdkDir, "asgi.py");
  if (fs.existsSync(asgi)) pyodide.FS.writeFile("/session/sdk/asgi.py", fs.readFileSync(asgi));

  const cloudflareWorkersModule = {
    env,
    waitUntil(p) {
      // Not tied to a request here (workerd ties it to the current one); failures are logged.
      // A Python awaitable arrives as a borrowed proxy: keep a copy, as patchWaitUntil does.
      if (p != null && typeof p === "object" && "copy" in p) p = p.copy();
      Promise.resolve(p)
        .catch(onBackgroundError)
        .finally(() => p?.destroy?.());
    },
  };
  const cloudflareSocketsModule = {
    connect() {
      throw new Error("cloudflare:sockets connect() is not available in the local runtime");
    },
  };
  pyodide.registerJsModule("_pyodide_entrypoint_helper", {
    cloudflareWorkersModule,
    cloudflareSocketsModule,
    workerEntrypoint: class WorkerEntrypoint {},
    patchWaitUntil,
    async doAnImport(name) {
      if (name === "cloudflare:workers") return cloudflareWorkersModule;
      if (name === "cloudflare:sockets") return cloudflareSocketsModule;
      throw new Error(`No such module "${name}".`);
    },
    // workers.patch_env(): temporarily overrides values on the shared env object.
    *patch_env_helper(kwds) {
      const saved = new Map();
      for (const [key, value] of Object.entries(kwds)) {
        saved.set(key, Object.getOwnPropertyDescriptor(env, key));
        env[key] = value;
      }
      try {
        yield;
      } finally {
        for (const [key, descriptor] of saved) {
          if (descriptor) Object.defineProperty(env, key, descriptor);
          else delete env[key];
        }
      }
    },
  });
  pyodide.registerJsModule("_cloudflare_compat_flags", compatFlags);

  // Bytecode goes to a cache outside the project (never src/__pycache__), keyed by the
  // source directory so that two checkouts never share entries.
  // It is read into memory too, and what the imports add is written back once they are done.
  let pycachePrefix = null;
  let pycacheHostDir = null;
  if (cacheDir) {
    const key = createHash("sha256").update(`${config.mainDir}\0${sdkDir}`).digest("hex").slice(0, 16);
    pycacheHostDir = path.join(cacheDir, "pycache", key);
    fs.mkdirSync(pycacheHostDir, { recursive: true });
    pycachePrefix = "/cache/pycache";
    copyIntoMemory(pyodide.FS, pycacheHostDir, pycachePrefix);
  }
  pyodide.runPython(`
import os, random, sys
sys.path.insert(0, "/session/metadata")
sys.path.insert(1, "/session/sdk")
os.chdir("/session/metadata")
if ${pycachePrefix ? "True" : "False"}:
    sys.pycache_prefix = ${JSON.stringify(pycachePrefix)}
    sys.dont_write_bytecode = False
# A memory snapshot freezes the random module's state; reseed it like workerd does after
# restoring its snapshot, or every run would draw the same "random" numbers.
random.seed()
`);

  // Calls into Python are "promising" (JSPI) like in workerd when available, else plain.
  const call = (fn, args, relaxed = false) =>
    jspi ? fn.callWithOptions({ relaxed, promising: true }, ...args) : relaxed ? fn.callRelaxed(...args) : fn(...args);

  const pythonError = (err) => new PythonStartupError(err?.message ?? String(err));
  const importsStarted = Date.now(); // bytecode written from here on goes back to the host cache
  t = performance.now();
  try {
    pyodide.runPython("import workers");
  } catch (err) {
    throw pythonError(err);
  }
  timings.sdk_import_ms = Math.round(performance.now() - t);

  const glue = pyodide.runPython(`
import types
_glue = types.ModuleType("_edgejobs_runtime_glue")
exec(compile(${JSON.stringify(GLUE)}, "<edgejobs-runtime>", "exec"), _glue.__dict__)
_glue`);
  const importMain = glue.import_main;
  const wrapperFunc = glue.wrapper_func;

  t = performance.now();
  let DefaultClass;
  try {
    const mainModule = await call(importMain, [config.mainModule]);
    DefaultClass = glue.default_class(mainModule);
  } catch (err) {
    throw pythonError(err);
  }
  timings.app_import_ms = Math.round(performance.now() - t);
  if (pycacheHostDir) copyOutOfMemory(pyodide.FS, pycachePrefix, pycacheHostDir, importsStarted);

  async function withInstance(env, ctx, body) {
    const instance = await call(DefaultClass, [ctx, env]);
    try {
      return await body(instance);
    } finally {
      instance.destroy();
    }
  }

  return {
    pyodide,
    timings,
    jspi,
    fromSnapshot,
    /** Calls Default.fetch; resolves to the JS Response the handler returned. */
    fetch(request, env, ctx) {
      return withInstance(env, ctx, (instance) =>
        call(wrapperFunc, [true, instance, "fetch", request, undefined, undefined]),
      );
    },
    /** Calls Default.scheduled (relaxed). */
    scheduled(controller, env, ctx) {
      return withInstance(env, ctx, async (instance) => {
        const method = instance.scheduled;
        if (typeof method !== "function") {
          throw new TypeError("Handler does not export a scheduled() function.");
        }
        try {
          return await call(method, [controller, undefined, undefined], true);
        } finally {
          method.destroy();
        }
      });
    },
  };
}
