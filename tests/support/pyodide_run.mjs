// Runs a Python script in the real Pyodide (npm `pyodide`, the build Python Workers run) with
// the Worker's sources importable, and prints what the script's last expression evaluates to.
// Usage: node tests/support/pyodide_run.mjs <src dir> <script.py> [<data dir>]
// The sources are mounted at /src (first on sys.path), the data directory at /data.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [srcDir, scriptFile, dataDir] = process.argv.slice(2);
if (!srcDir || !scriptFile) {
  process.stderr.write("usage: pyodide_run.mjs <src dir> <script.py> [<data dir>]\n");
  process.exit(2);
}

const { loadPyodide } = await import("pyodide");
const pyodide = await loadPyodide({
  indexURL: path.dirname(require.resolve("pyodide/package.json")) + path.sep,
  env: { PYTHONDONTWRITEBYTECODE: "1", HOME: "/home/pyodide" },
  stdout: (line) => process.stderr.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
});
const mount = (host, target) => {
  pyodide.FS.mkdirTree(target);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.resolve(host) }, target);
};
mount(srcDir, "/src");
if (dataDir) mount(dataDir, "/data");
pyodide.runPython('import sys; sys.path.insert(0, "/src")');
const result = await pyodide.runPythonAsync(fs.readFileSync(scriptFile, "utf8"));
process.stdout.write(String(result));
