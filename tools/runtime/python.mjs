// Runs the Worker's Python in the real Pyodide (npm `pyodide`, the same build as Python
// Workers) and calls its `Default` entrypoint the way workerd's python-entrypoint-helper does.
//
// What is mirrored from workerd (its `pyodide:python-entrypoint-helper` and
// `pyodide-internal:introspection.py`):
// - the modules live in /session/metadata (the working directory and first on sys.path), the
//   workers SDK next to them; no other package can be imported (bundle.mjs);
// - `_pyodide_entrypoint_helper` and `_cloudflare_compat_flags` are JS modules (host-modules.mjs);
// - a new `Default(ctx, env)` is created for every event (workerd constructs the entrypoint
//   class per request), with a per-event ctx whose waitUntil is patched for Python awaitables;
// - fetch goes through `wrapper_func` (glue.py: python_from_rpc on the arguments, relaxed_call,
//   python_to_rpc on the result); scheduled is a relaxed call;
// - both get (event, undefined, undefined): workerd calls a class-based entrypoint's handlers
//   without env and ctx, which the instance got in its constructor (seen in Miniflare: a JS
//   WorkerEntrypoint's fetch and scheduled get three arguments, the last two undefined);
// - with JSPI (node --experimental-wasm-jspi) every call is "promising" as in workerd, so
//   pyodide.ffi.run_sync works in handlers; without it (the default, much faster on Node 22)
//   the same calls are made plainly.

import fs from "node:fs";
import { MODULES_DIR, SDK_DIR, copyBundle, openBytecodeCache } from "./bundle.mjs";
import { registerHostModules } from "./host-modules.mjs";
import { findCacheDir, loadInterpreter } from "./interpreter.mjs";
import { PythonStartupError } from "./sdk.mjs";

export { PythonStartupError };

const GLUE = fs.readFileSync(new URL("./glue.py", import.meta.url), "utf8");

/** Imports the glue as module `_edgejobs_runtime_glue` (never on sys.path) and returns it. */
function loadGlue(pyodide) {
  return pyodide.runPython(`
import types
_glue = types.ModuleType("_edgejobs_runtime_glue")
exec(compile(${JSON.stringify(GLUE)}, "<edgejobs-runtime>", "exec"), _glue.__dict__)
_glue`);
}

function configurePaths(pyodide, pycachePrefix) {
  pyodide.runPython(`
import os, random, sys
sys.path.insert(0, ${JSON.stringify(MODULES_DIR)})
sys.path.insert(1, ${JSON.stringify(SDK_DIR)})
os.chdir(${JSON.stringify(MODULES_DIR)})
if ${pycachePrefix ? "True" : "False"}:
    sys.pycache_prefix = ${JSON.stringify(pycachePrefix)}
    sys.dont_write_bytecode = False
# A memory snapshot freezes the random module's state; reseed it like workerd does after
# restoring its snapshot, or every run would draw the same "random" numbers.
random.seed()
`);
}

/**
 * Loads Pyodide, mounts the Worker's modules and the SDK, imports the main module.
 * Returns {pyodide, timings, jspi, fromSnapshot, fetch(request, env, ctx),
 * scheduled(controller, env, ctx)}.
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

  copyBundle(pyodide.FS, { mainDir: config.mainDir, sdkDir });
  registerHostModules(pyodide, { env, compatFlags, onBackgroundError });
  const bytecode = openBytecodeCache(pyodide.FS, { cacheDir, mainDir: config.mainDir, sdkDir });
  configurePaths(pyodide, bytecode?.prefix ?? null);

  // Calls into Python are "promising" (JSPI) like in workerd when available, else plain.
  const call = (fn, args, relaxed = false) =>
    jspi ? fn.callWithOptions({ relaxed, promising: true }, ...args) : relaxed ? fn.callRelaxed(...args) : fn(...args);

  const pythonError = (err) => new PythonStartupError(err?.message ?? String(err));
  t = performance.now();
  try {
    pyodide.runPython("import workers");
  } catch (err) {
    throw pythonError(err);
  }
  timings.sdk_import_ms = Math.round(performance.now() - t);

  const glue = loadGlue(pyodide);
  const wrapperFunc = glue.wrapper_func;
  t = performance.now();
  let DefaultClass;
  try {
    const mainModule = await call(glue.import_main, [config.mainModule]);
    DefaultClass = glue.default_class(mainModule);
  } catch (err) {
    throw pythonError(err);
  }
  timings.app_import_ms = Math.round(performance.now() - t);
  bytecode?.save();

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
