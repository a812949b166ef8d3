// `make bench` helper: how long importing the app's own modules takes in Pyodide, measured
// alone (the runtime's ready line measures it while Miniflare boots alongside on the same
// cores). Loads the interpreter exactly as the local runtime does (tools/runtime/python.mjs),
// from a copy of src/ whose main module first installs an import timer, then imports the
// Worker's entry module. Prints one JSON line: the runtime's timings, the total, and the
// slowest modules by self time.
//
//   node bench/import_timer.mjs             (from the project root)
//   node bench/import_timer.mjs --src DIR   (another tree's sources, e.g. an older commit's
//                                            `git archive <rev> src` unpacked: same timer,
//                                            same interpreter, to compare two layouts)

import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { computeCompatFlags, loadWranglerConfig } from "../tools/runtime/config.mjs";
import { startPython } from "../tools/runtime/python.mjs";
import { findSdkDir } from "../tools/runtime/sdk.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const SHIM = String.raw`
import sys, time
import importlib._bootstrap as _bootstrap

_find_and_load = _bootstrap._find_and_load
_stack, ROWS = [], []

def _timed(name, import_):
    if name in sys.modules:
        return _find_and_load(name, import_)
    started = time.perf_counter()
    _stack.append(0.0)
    try:
        return _find_and_load(name, import_)
    finally:
        total = (time.perf_counter() - started) * 1000
        children = _stack.pop()
        if _stack:
            _stack[-1] += total
        ROWS.append((name, total - children))

_bootstrap._find_and_load = _timed
_started = time.perf_counter()
import MAIN_MODULE as _main
TOTAL_MS = (time.perf_counter() - _started) * 1000
_bootstrap._find_and_load = _find_and_load
Default = _main.Default
`;

const config = loadWranglerConfig(path.join(ROOT, "wrangler.toml"));
const srcFlag = process.argv.indexOf("--src");
const sources = srcFlag === -1 ? config.mainDir : path.resolve(process.argv[srcFlag + 1]);
// One fixed path per checkout, sources copied with their timestamps: the runtime's bytecode
// cache (keyed by the directory) stays valid from one run to the next, as it does for the
// runtime itself. Per checkout: two checkouts benchmarking at once must not delete or
// overwrite each other's copy (that made runs fail, import the other checkout's sources, or
// recompile every module).
const copy = path.join(
  os.tmpdir(),
  `edgejobs-bench-import-${createHash("sha256").update(`${ROOT}\0${sources}`).digest("hex").slice(0, 12)}`,
);
try {
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(sources, copy, {
    recursive: true,
    preserveTimestamps: true,
    filter: (p) => !p.includes("__pycache__"),
  });
  fs.writeFileSync(path.join(copy, "_bench_import.py"), SHIM.replace("MAIN_MODULE", config.mainModule));
  const python = await startPython({
    config: { ...config, mainDir: copy, mainModule: "_bench_import", mainPath: path.join(copy, "_bench_import.py") },
    sdkDir: findSdkDir(ROOT),
    env: {},
    compatFlags: computeCompatFlags(config.compatibilityDate, config.compatibilityFlags),
    stdout: () => {},
    stderr: (line) => process.stderr.write(`${line}\n`),
    onBackgroundError: () => {},
  });
  const report = JSON.parse(
    python.pyodide.runPython(`
import json, _bench_import as b
json.dumps({"total_ms": round(b.TOTAL_MS, 1),
            "modules": [[n, round(ms, 1)] for n, ms in sorted(b.ROWS, key=lambda r: -r[1])]})`),
  );
  process.stdout.write(`${JSON.stringify({ ...python.timings, ...report })}\n`);
} finally {
  fs.rmSync(copy, { recursive: true, force: true });
}
process.exit(0);
