// Runs a Python snippet in the real Pyodide (npm `pyodide`, the build Python Workers run) with
// the project's src/ importable, for tests of Pyodide-only modules (src/edgejobs/platform/).
// Node's global fetch, AbortSignal and friends are what the snippet's `js` module sees.
//
//   node tests/support/pyodide_run.mjs < snippet.py
//
// The snippet is run with `runPythonAsync` (top-level await allowed); the value of its last
// expression, which must be a str, is written to stdout. Python's own print goes to stderr.
// A booted interpreter is kept as a memory snapshot (first run ~3-7 s, then ~1 s).

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide, version } from "pyodide";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "edgejobs-pyodide-run");

async function bootPyodide(options) {
  const file = path.join(CACHE, `pyodide-${version}-node-${process.version}.snapshot`);
  if (fs.existsSync(file)) {
    try {
      return await loadPyodide({ ...options, _loadSnapshot: fs.readFileSync(file) });
    } catch {
      fs.rmSync(file, { force: true }); // unusable: made again below
    }
  }
  const pyodide = await loadPyodide({ ...options, _makeSnapshot: true });
  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, pyodide.makeMemorySnapshot());
  fs.renameSync(tmp, file); // atomic: a concurrent run sees the whole file or none
  return pyodide;
}

const code = fs.readFileSync(0, "utf8");
const write = (text) => process.stderr.write(`${text}\n`);
const pyodide = await bootPyodide({ stdout: write, stderr: write });
pyodide.FS.mkdirTree("/project/src");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.join(ROOT, "src") }, "/project/src");
pyodide.runPython("import sys; sys.dont_write_bytecode = True; sys.path.insert(0, '/project/src')");
const result = await pyodide.runPythonAsync(code);
if (typeof result !== "string") {
  throw new TypeError(`the snippet's last expression must be a str, not ${typeof result}`);
}
// Exit now: kept-alive connections and timers the snippet left would hold Node open for seconds.
process.stdout.write(result, () => process.exit(0));
