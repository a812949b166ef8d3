// The runtime's life as a process: start-up prints the ready marker, a signal stops it cleanly
// (exit 0), a Worker that fails to import or a bad wrangler.toml exit 1 with the reason.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { makeProject, startRuntime } from "./testing.mjs";

const dirs = [];
const project = (options) => {
  const dir = makeProject(options);
  dirs.push(dir);
  return dir;
};
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const HELLO = `
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("hello from " + request.url)
`;

test("start: the ready marker, then the Worker answers; SIGTERM stops it with exit 0", async () => {
  const runtime = await startRuntime(project({ worker: HELLO }), []);
  try {
    assert.ok(runtime.ready, runtime.text());
    const { url, port, startup_ms, pyodide_load_ms, sdk_import_ms, app_import_ms } = runtime.ready;
    assert.equal(url, `http://127.0.0.1:${port}`);
    for (const ms of [startup_ms, pyodide_load_ms, sdk_import_ms, app_import_ms]) assert.ok(Number.isInteger(ms));
    const response = await fetch(`${url}/a?b=1`);
    assert.equal(await response.text(), `hello from ${url}/a?b=1`);
    // Without --test-endpoints the control routes do not exist: the Worker gets the path.
    assert.equal(await (await fetch(`${url}/__runtime/sql`)).text(), `hello from ${url}/__runtime/sql`);
  } finally {
    assert.deepEqual(await runtime.stop("SIGTERM"), { code: 0, signal: null });
  }
  assert.match(runtime.text(), /edgejobs local runtime listening on http:\/\/127\.0\.0\.1:\d+/);
});

test("a Worker that fails to import: exit 1 with the Python traceback, never ready", async () => {
  const worker = `
import helper

class Default:
    pass
`;
  const helper = "def broken():\n    pass\n\nraise RuntimeError('configuration is missing')\n";
  const runtime = await startRuntime(project({ worker, files: { "src/helper.py": helper } }), []);
  const { code } = await runtime.exited;
  assert.equal(code, 1);
  assert.equal(runtime.ready, null);
  const text = runtime.text();
  assert.match(text, /Traceback \(most recent call last\):/);
  assert.match(text, /File "\/session\/metadata\/helper\.py", line 4, in <module>/);
  assert.match(text, /RuntimeError: configuration is missing/);
  assert.match(text, /edgejobs runtime: importing src\/worker\.py failed; not serving/);
});

test("a main module without a Default entrypoint class fails the same way", async () => {
  const runtime = await startRuntime(project({ worker: "x = 1\n" }), []);
  assert.equal((await runtime.exited).code, 1);
  assert.match(runtime.text(), /TypeError: There is no 'Default' class defined in the Python Worker's main module/);
});

test("a wrangler.toml naming a missing main module: exit 1 with the reason", async () => {
  const dir = project({ worker: HELLO });
  fs.rmSync(path.join(dir, "src", "worker.py"));
  const runtime = await startRuntime(dir, []);
  assert.equal((await runtime.exited).code, 1);
  assert.match(runtime.text(), /edgejobs runtime: .*wrangler\.toml: main module .*worker\.py does not exist/);
});
