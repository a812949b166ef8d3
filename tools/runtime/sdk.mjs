// Where the Python Workers SDK (`workers-runtime-sdk`, the `workers` package) is found.

import fs from "node:fs";
import path from "node:path";

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
