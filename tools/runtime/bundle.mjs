// The Worker's modules and the SDK in Pyodide's in-memory file system, as in workerd (its
// bundle is an in-memory file system), plus the bytecode cache kept on the host.
//
// Files are copied at start with their modification times, so cached bytecode stays valid.
// (Mounting the directory with NODEFS instead made every import pay several host file-system
// calls through JS: about a third of the app's import time.)

import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";

export const MODULES_DIR = "/session/metadata";
export const SDK_DIR = "/session/sdk";
const PYCACHE_PREFIX = "/cache/pycache";

/** Copies the host directory `from` into Pyodide's in-memory file system at `to` (files keep
 *  their modification times; __pycache__ directories are skipped). */
export function copyIntoMemory(FS, from, to) {
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
export function copyOutOfMemory(FS, from, to, since) {
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

/** Copies the Worker's modules to /session/metadata and the `workers` SDK to /session/sdk. */
export function copyBundle(FS, { mainDir, sdkDir }) {
  copyIntoMemory(FS, mainDir, MODULES_DIR);
  copyIntoMemory(FS, path.join(sdkDir, "workers"), `${SDK_DIR}/workers`);
  const asgi = path.join(sdkDir, "asgi.py");
  if (fs.existsSync(asgi)) FS.writeFile(`${SDK_DIR}/asgi.py`, fs.readFileSync(asgi));
}

/**
 * The bytecode cache: outside the project (never src/__pycache__), keyed by the source
 * directories so that two checkouts never share entries. It is read into memory now; `save()`
 * writes back what the imports added since. Returns null without a cache directory.
 */
export function openBytecodeCache(FS, { cacheDir, mainDir, sdkDir }) {
  if (!cacheDir) return null;
  const key = createHash("sha256").update(`${mainDir}\0${sdkDir}`).digest("hex").slice(0, 16);
  const hostDir = path.join(cacheDir, "pycache", key);
  fs.mkdirSync(hostDir, { recursive: true });
  copyIntoMemory(FS, hostDir, PYCACHE_PREFIX);
  const opened = Date.now(); // bytecode written from here on goes back to the host
  return {
    prefix: PYCACHE_PREFIX,
    save: () => copyOutOfMemory(FS, PYCACHE_PREFIX, hostDir, opened),
  };
}
