// Loads Pyodide, from a cached memory snapshot when there is one.
//
// Booting Pyodide and importing the stdlib takes ~3 s; restoring a memory snapshot of that
// state takes ~0.5 s (production Python Workers start from a snapshot too). The snapshot is
// made on first use and cached, keyed by everything that shapes it; a snapshot that fails to
// load is discarded and rebuilt.

import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

// Standard-library modules imported before the snapshot is taken: what the workers SDK pulls
// in plus what small Workers commonly use. Only pure stdlib (plus pyodide.http, which the SDK
// imports) so the snapshot holds no references to this process's JS objects.
// prettier-ignore
const SNAPSHOT_PRELOAD = [
  "asyncio", "base64", "collections.abc", "contextlib", "dataclasses", "datetime", "decimal",
  "email.message", "email.parser", "email.utils", "enum", "functools", "gzip", "hashlib", "hmac",
  "http", "http.client", "inspect", "ipaddress", "json", "logging", "re", "typing", "urllib.parse",
  "uuid", "zlib", "pyodide.http",
];
const SNAPSHOT_FORMAT = 1;

/** node_modules/.cache/edgejobs-runtime next to the pyodide package, or null if unwritable. */
export function findCacheDir() {
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

/** Starts the interpreter; resolves to {pyodide, fromSnapshot}. */
export async function loadInterpreter({ cacheDir, jspi, stdout, stderr }) {
  const { loadPyodide, version } = await import("pyodide");
  const options = {
    indexURL: path.dirname(require.resolve("pyodide/package.json")) + path.sep,
    stdout,
    stderr,
    // Never write __pycache__ next to sources; the bytecode cache (bundle.mjs) sets a prefix.
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
  pyodide.runPython(
    `import importlib\nfor _m in ${JSON.stringify(SNAPSHOT_PRELOAD)}: importlib.import_module(_m)\ndel _m`,
  );
  const snapshot = pyodide.makeMemorySnapshot();
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, snapshot);
  fs.renameSync(tmp, file); // atomic: a concurrent start sees the whole file or none
  pruneSnapshots(cacheDir, file);
  return { pyodide, fromSnapshot: false };
}
