import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, computeCompatFlags, parseWranglerConfig } from "./config.mjs";

const BASE = `
name = "edgejobs"
main = "src/entry.py"
compatibility_date = "2026-11-01"
compatibility_flags = ["python_workers"]

[[d1_databases]]
binding = "DB"
database_name = "edgejobs"
database_id = "00000000-0000-4000-8000-000000000000"

[triggers]
crons = ["*/5 * * * *"]

[vars]
MAX_BODY_BYTES = "10485760"
`;

test("reads main, the D1 database, vars and crons", () => {
  const config = parseWranglerConfig(BASE, "/proj");
  assert.equal(config.mainPath, "/proj/src/entry.py");
  assert.equal(config.mainDir, "/proj/src");
  assert.equal(config.mainModule, "entry");
  assert.deepEqual(config.d1, {
    binding: "DB",
    databaseId: "00000000-0000-4000-8000-000000000000",
    databaseName: "edgejobs",
  });
  assert.deepEqual(config.vars, { MAX_BODY_BYTES: "10485760" });
  assert.deepEqual(config.crons, ["*/5 * * * *"]);
});

test("preview_database_id wins, as in wrangler dev", () => {
  const config = parseWranglerConfig(
    BASE.replace('database_id = "', 'preview_database_id = "p"\ndatabase_id = "'),
    "/proj",
  );
  assert.equal(config.d1.databaseId, "p");
});

test("exactly one D1 database", () => {
  const none = BASE.replace(/\[\[d1_databases\]\][^[]*/, "");
  assert.throws(() => parseWranglerConfig(none, "/proj"), /exactly one \[\[d1_databases\]\]/);
  const two = `${BASE}\n[[d1_databases]]\nbinding = "OTHER"\ndatabase_id = "x"\n`;
  assert.throws(() => parseWranglerConfig(two, "/proj"), /found 2/);
});

test("main must be a Python module; TOML errors are ConfigErrors", () => {
  assert.throws(() => parseWranglerConfig(BASE.replace("src/entry.py", "src/index.js"), "/proj"), ConfigError);
  assert.throws(() => parseWranglerConfig("main = ", "/proj"), ConfigError);
});

test("compat flags follow the date and explicit flags", () => {
  assert.deepEqual(computeCompatFlags("2026-11-01", ["python_workers"]), {
    python_workers: true,
    python_workflows_implicit_dependencies: true,
    python_request_headers_preserve_commas: true,
  });
  const old = computeCompatFlags("2025-06-01", []);
  assert.equal(old.python_request_headers_preserve_commas, false);
  assert.equal(
    computeCompatFlags("2025-06-01", ["python_request_headers_preserve_commas"]).python_request_headers_preserve_commas,
    true,
  );
  assert.equal(
    computeCompatFlags("2026-11-01", ["disable_python_request_headers_preserve_commas"])
      .python_request_headers_preserve_commas,
    false,
  );
});
