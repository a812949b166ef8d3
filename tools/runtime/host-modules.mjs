// The JS modules workerd gives the Python SDK: `_pyodide_entrypoint_helper` (cloudflare:workers,
// cloudflare:sockets, patchWaitUntil, patch_env) and `_cloudflare_compat_flags`.

import { patchWaitUntil } from "./execution-context.mjs";

/** The `cloudflare:workers` module: the shared env, and a waitUntil tied to no request. */
function cloudflareWorkers(env, onBackgroundError) {
  return {
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
}

const cloudflareSockets = {
  connect() {
    throw new Error("cloudflare:sockets connect() is not available in the local runtime");
  },
};

/** workers.patch_env(): temporarily overrides values on the shared env object. */
function patchEnvHelper(env) {
  return function* patch_env_helper(kwds) {
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
  };
}

export function registerHostModules(pyodide, { env, compatFlags, onBackgroundError }) {
  const cloudflareWorkersModule = cloudflareWorkers(env, onBackgroundError);
  pyodide.registerJsModule("_pyodide_entrypoint_helper", {
    cloudflareWorkersModule,
    cloudflareSocketsModule: cloudflareSockets,
    workerEntrypoint: class WorkerEntrypoint {},
    patchWaitUntil,
    async doAnImport(name) {
      if (name === "cloudflare:workers") return cloudflareWorkersModule;
      if (name === "cloudflare:sockets") return cloudflareSockets;
      throw new Error(`No such module "${name}".`);
    },
    patch_env_helper: patchEnvHelper(env),
  });
  pyodide.registerJsModule("_cloudflare_compat_flags", compatFlags);
}
