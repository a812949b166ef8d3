// The Python glue against a tiny Worker in the real Pyodide: handlers are called the way
// workerd calls a class-based entrypoint (checked against workerd in Miniflare: a
// WorkerEntrypoint's fetch and scheduled get (event, undefined, undefined); env and ctx are
// the constructor's). Needs `make install` (the workers SDK in .venv).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { computeCompatFlags } from "./config.mjs";
import { ExecutionContext, ScheduledController } from "./execution-context.mjs";
import { startPython } from "./python.mjs";
import { findSdkDir } from "./sdk.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const WORKER = `
from workers import Response, WorkerEntrypoint

seen = []


class Default(WorkerEntrypoint):
    async def fetch(self, request, env="not passed", ctx="not passed"):
        return Response(repr([request.url, env, ctx, self.env.GREETING]))

    async def scheduled(self, controller, env="not passed", ctx="not passed"):
        seen.append(repr([controller.cron, env, ctx, self.env.GREETING]))
`;

let dir;
let python;
const env = { GREETING: "hello" };

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "edgejobs-python-test-"));
  fs.writeFileSync(path.join(dir, "worker.py"), WORKER);
  python = await startPython({
    config: { mainDir: dir, mainModule: "worker" },
    sdkDir: findSdkDir(ROOT),
    env,
    compatFlags: computeCompatFlags("2026-11-01", ["python_workers"]),
    stdout: () => {},
    stderr: (line) => process.stderr.write(`${line}\n`),
    onBackgroundError: (err) => assert.fail(err),
  });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("fetch gets the request alone; env and ctx come from the instance", async () => {
  const response = await python.fetch(new Request("http://example.test/x"), env, new ExecutionContext(assert.fail));
  assert.equal(await response.text(), "['http://example.test/x', None, None, 'hello']");
});

test("scheduled gets the controller alone; env and ctx come from the instance", async () => {
  await python.scheduled(new ScheduledController("*/5 * * * *", Date.now()), env, new ExecutionContext(assert.fail));
  const seen = python.pyodide.runPython("import worker; worker.seen").toJs();
  assert.deepEqual(seen, ["['*/5 * * * *', None, None, 'hello']"]);
});
