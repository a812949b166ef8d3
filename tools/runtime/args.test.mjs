import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError, parseArgs } from "./args.mjs";

test("defaults", () => {
  const opts = parseArgs([], {});
  assert.equal(opts.config, "wrangler.toml");
  assert.equal(opts.port, 8787);
  assert.equal(opts.host, "127.0.0.1");
  assert.equal(opts.persistTo, null);
  assert.equal(opts.cron, true);
  assert.equal(opts.testEndpoints, false);
  assert.equal(opts.cpuTiming, false);
  assert.deepEqual(opts.vars, {});
});

test("PORT from the environment, --port wins", () => {
  assert.equal(parseArgs([], { PORT: "9000" }).port, 9000);
  assert.equal(parseArgs(["--port", "0"], { PORT: "9000" }).port, 0);
  assert.equal(parseArgs(["--port=1234"], {}).port, 1234);
});

test("every option", () => {
  const opts = parseArgs(
    [
      "--config",
      "x/wrangler.toml",
      "--host=0.0.0.0",
      "--persist-to",
      "/tmp/s",
      "--env-file",
      "e.vars",
      "--var",
      "A=1",
      "--var",
      "B=x=y",
      "--var",
      "EMPTY=",
      "--no-cron",
      "--test-endpoints",
      "--cpu-timing",
    ],
    {},
  );
  assert.equal(opts.config, "x/wrangler.toml");
  assert.equal(opts.host, "0.0.0.0");
  assert.equal(opts.persistTo, "/tmp/s");
  assert.equal(opts.envFile, "e.vars");
  assert.deepEqual(opts.vars, { A: "1", B: "x=y", EMPTY: "" });
  assert.equal(opts.cron, false);
  assert.equal(opts.testEndpoints, true);
  assert.equal(opts.cpuTiming, true);
});

test("bad input is a UsageError", () => {
  for (const argv of [
    ["--port", "x"],
    ["--port", "70000"],
    ["--var", "NOVALUE"],
    ["--var", "=v"],
    ["--bogus"],
    ["--config"],
    ["--env-file", "a", "--no-env-file"],
  ]) {
    assert.throws(() => parseArgs(argv, {}), UsageError, argv.join(" "));
  }
});
