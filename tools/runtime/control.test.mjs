// The test-only control routes (/__runtime/sql, /__runtime/d1-faults) against a running
// runtime with a real D1 (Miniflare), and that they exist only with --test-endpoints.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { sqlOperation } from "./control.mjs";
import { parseFaultSetting } from "./faults.mjs";
import { makeProject, startRuntime } from "./testing.mjs";

const WORKER = `
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/count":
            row = await self.env.DB.prepare("SELECT count(*) AS n FROM t").first()
            return Response(str(row["n"]))
        return Response("worker " + request.method + " " + path)
`;

let dir;
let runtime;
const post = (path, body) =>
  fetch(`${runtime.url}${path}`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });

before(async () => {
  dir = makeProject({ worker: WORKER });
  runtime = await startRuntime(dir);
  assert.ok(runtime.url, runtime.text());
});

after(async () => {
  await runtime?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("exec, batch and sql reach D1 directly and answer D1's results", async () => {
  let response = await post("/__runtime/sql", { exec: "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)" });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).count, 1);
  response = await post("/__runtime/sql", {
    batch: [
      { sql: "INSERT INTO t (a, b) VALUES (?, ?)", params: [1, "x"] },
      { sql: "INSERT INTO t (a, b) VALUES (2, 'y')" },
    ],
  });
  assert.equal(response.status, 200);
  const batch = await response.json();
  assert.equal(batch.length, 2);
  assert.equal(batch[0].meta.changes, 1);
  response = await post("/__runtime/sql", { sql: "SELECT a, b FROM t WHERE a >= ? ORDER BY a", params: [1] });
  assert.equal(response.status, 200);
  assert.deepEqual((await response.json()).results, [
    { a: 1, b: "x" },
    { a: 2, b: "y" },
  ]);
  // The Worker sees the same database.
  assert.equal(await (await fetch(`${runtime.url}/count`)).text(), "2");
});

test("a failing statement is a 400 with D1's message, and a failed batch writes nothing", async () => {
  await post("/__runtime/sql", { exec: "CREATE TABLE IF NOT EXISTS u (a INTEGER PRIMARY KEY)" });
  const response = await post("/__runtime/sql", {
    batch: [{ sql: "INSERT INTO u (a) VALUES (10)" }, { sql: "INSERT INTO u (a) VALUES (10)" }],
  });
  assert.equal(response.status, 400);
  assert.match((await response.json()).error, /UNIQUE constraint failed: u\.a/);
  const rows = await (await post("/__runtime/sql", { sql: "SELECT count(*) AS n FROM u" })).json();
  assert.deepEqual(rows.results, [{ n: 0 }]);
});

test("bodies that are not one of the shapes are 400s", async () => {
  for (const [body, pattern] of [
    ["{not json", /invalid JSON body/],
    ["[1, 2]", /invalid JSON body: expected a JSON object/],
    [{ query: "SELECT 1" }, /expected \{"sql", "params"\}/],
  ]) {
    const response = await post("/__runtime/sql", body);
    assert.equal(response.status, 400);
    assert.match((await response.json()).error, pattern);
  }
});

test("d1-faults: set, read back with counters, reject bad settings, clear", async () => {
  await post("/__runtime/sql", { exec: "CREATE TABLE IF NOT EXISTS t (a INTEGER PRIMARY KEY, b TEXT)" });
  let response = await post("/__runtime/d1-faults", { fail_nth: [1] });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { ...parseFaultSetting({ fail_nth: [1] }), calls: 0, failed: 0, lost: 0 });
  // The app's first D1 call fails like an overloaded D1 (the handler raises: a 500) ...
  assert.equal((await fetch(`${runtime.url}/count`)).status, 500);
  assert.equal((await fetch(`${runtime.url}/count`)).status, 200);
  // ... while the control route itself never counts as a call.
  await post("/__runtime/sql", { sql: "SELECT 1" });
  response = await fetch(`${runtime.url}/__runtime/d1-faults`);
  assert.deepEqual(await response.json(), { ...parseFaultSetting({ fail_nth: [1] }), calls: 2, failed: 1, lost: 0 });
  assert.match(runtime.text(), /D1 DB is overloaded/);

  response = await post("/__runtime/d1-faults", { rate: 2 });
  assert.equal(response.status, 400);
  assert.match((await response.json()).error, /"rate" must be a number from 0.0 to 1.0/);
  response = await post("/__runtime/d1-faults", {});
  assert.deepEqual(await response.json(), { ...parseFaultSetting({}), calls: 0, failed: 0, lost: 0 });
});

test("an unknown control route is a 404 and never reaches the Worker", async () => {
  const response = await fetch(`${runtime.url}/__runtime/nope`);
  assert.equal(response.status, 404);
  assert.deepEqual(await response.json(), { error: "no runtime route GET /__runtime/nope" });
  assert.equal((await fetch(`${runtime.url}/__runtime/sql`)).status, 404); // GET is not a route
});

test("sqlOperation maps each body shape to one bridge operation", () => {
  assert.deepEqual(sqlOperation({ sql: "SELECT ?", params: [1] }), {
    kind: "all",
    session: null,
    stmts: [{ sql: "SELECT ?", params: [1] }],
  });
  assert.deepEqual(sqlOperation({ exec: "X" }), { kind: "exec", session: null, sql: "X" });
  assert.deepEqual(sqlOperation({ batch: [{ sql: "A" }] }).stmts, [{ sql: "A", params: [] }]);
  assert.equal(sqlOperation({ sql: 1 }), null);
});

test("the SQL endpoint says why it failed when the bridge cannot answer (not a bare 500)", async () => {
  const { Readable } = await import("node:stream");
  const { handleControl } = await import("./control.mjs");
  const req = Readable.from([Buffer.from(JSON.stringify({ sql: "SELECT * FROM big" }))]);
  Object.assign(req, { method: "POST", headers: {} });
  const sent = {};
  const res = {
    writeHead: (status) => (sent.status = status),
    end: (data) => (sent.body = JSON.parse(data.toString())),
  };
  const client = {
    send: async () => {
      throw new RangeError("Invalid string length");
    },
  };
  await handleControl(req, new URL("http://x/__runtime/sql"), res, { faults: null, client });
  assert.equal(sent.status, 500);
  assert.equal(sent.body.error, "the SQL endpoint failed: Invalid string length");
});
