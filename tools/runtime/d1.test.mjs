// The Node-side D1 classes against a fake bridge: argument checks, operation shapes, error
// reconstruction, faults and session bookmarks. Real D1 behaviour needs the running runtime
// (Miniflare), so the HTTP tests cover it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { D1Database } from "./d1.mjs";
import { FaultInjector, parseFaultSetting } from "./faults.mjs";

function fakeBackend(reply = () => ({ ok: true, value: { success: true, results: [], meta: {} }, bookmark: null })) {
  const sent = [];
  return {
    sent,
    backend: {
      client: { send: async (op) => (sent.push(op), reply(op)) },
      faults: new FaultInjector(),
    },
  };
}

test("the class names the Python SDK looks for", () => {
  const { backend } = fakeBackend();
  const db = new D1Database(backend);
  assert.equal(db.constructor.name, "D1Database");
  assert.equal(db.prepare("SELECT 1").constructor.name, "D1PreparedStatement");
  assert.equal(db.withSession().constructor.name, "D1DatabaseSession");
});

test("bind converts like workerd and replaces earlier params", async () => {
  const { backend, sent } = fakeBackend();
  const db = new D1Database(backend);
  const stmt = db.prepare("SELECT ?1, ?2, ?3, ?4, ?5").bind(1, "a", true, null, new Uint8Array([0, 255]));
  assert.deepEqual(stmt.params, [1, "a", 1, null, [0, 255]]);
  assert.deepEqual(stmt.bind(2).params, [2]);
  await stmt.all();
  assert.deepEqual(sent[0], {
    kind: "all",
    session: null,
    stmts: [{ sql: "SELECT ?1, ?2, ?3, ?4, ?5", params: [1, "a", 1, null, [0, 255]] }],
  });
});

test("bind rejects what D1 rejects, synchronously", () => {
  const { backend } = fakeBackend();
  const stmt = new D1Database(backend).prepare("SELECT ?");
  assert.throws(() => stmt.bind(undefined), {
    message: "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'",
  });
  assert.throws(() => stmt.bind(2n ** 60n), {
    message: "D1_TYPE_ERROR: Type 'bigint' not supported for value '1152921504606846976'",
  });
  assert.throws(() => stmt.bind({ a: 1 }), {
    message: "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'",
  });
});

test("first(), raw() and batch() operations", async () => {
  const { backend, sent } = fakeBackend();
  const db = new D1Database(backend);
  await db.prepare("SELECT 1 AS a").first();
  await db.prepare("SELECT 1 AS a").first("a");
  await db.prepare("SELECT 1").raw({ columnNames: true });
  await db.batch([db.prepare("INSERT INTO t VALUES (?)").bind(1), db.prepare("SELECT 2")]);
  await db.exec("CREATE TABLE x (a)");
  assert.equal("colName" in sent[0], false);
  assert.equal(sent[1].colName, "a");
  assert.deepEqual(sent[2].options, { columnNames: true });
  assert.deepEqual(sent[3].stmts, [
    { sql: "INSERT INTO t VALUES (?)", params: [1] },
    { sql: "SELECT 2", params: [] },
  ]);
  assert.deepEqual(sent[4], { kind: "exec", sql: "CREATE TABLE x (a)", session: null });
});

test("bridge errors come back as Error with D1's message and cause", async () => {
  const message = "D1_ERROR: UNIQUE constraint failed: t.c: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)";
  const { backend } = fakeBackend(() => ({ ok: false, error: { name: "Error", message, cause: message.slice(10) } }));
  const err = await new D1Database(backend)
    .prepare("INSERT")
    .run()
    .catch((e) => e);
  assert.equal(err.constructor, Error);
  assert.equal(err.message, message);
  assert.equal(err.cause.message, message.slice(10));
});

test("injected faults fail like an overloaded D1 and count a batch once", async () => {
  const { backend, sent } = fakeBackend();
  backend.faults.set(parseFaultSetting({ fail_nth: [2] }));
  const db = new D1Database(backend);
  await db.batch([db.prepare("SELECT 1"), db.prepare("SELECT 2")]);
  await assert.rejects(db.prepare("SELECT 1").all(), {
    message: "D1_ERROR: D1 DB is overloaded. Requests queued for too long.",
  });
  await db.prepare("SELECT 1").all();
  assert.equal(sent.length, 2);
  assert.deepEqual(backend.faults.status(), {
    ...parseFaultSetting({ fail_nth: [2] }),
    calls: 3,
    failed: 1,
    lost: 0,
  });
});

test("a lost answer: the statement ran, the caller gets the overloaded error", async () => {
  const { backend, sent } = fakeBackend();
  backend.faults.set(parseFaultSetting({ lose_nth: [1] }));
  const db = new D1Database(backend);
  await assert.rejects(db.prepare("SELECT 1").all(), { message: /D1 DB is overloaded/ });
  assert.equal(sent.length, 1); // it reached the database
  assert.equal(backend.faults.status().lost, 1);
});

test("sessions send their constraint and keep the newest bookmark", async () => {
  let bookmark = "0000-0002";
  const { backend, sent } = fakeBackend(() => ({ ok: true, value: null, bookmark }));
  const db = new D1Database(backend);
  assert.equal(db.withSession("first-primary").getBookmark(), null);
  const session = db.withSession();
  await session.prepare("SELECT 1").first();
  assert.equal(sent[0].session, "first-unconstrained");
  assert.equal(session.getBookmark(), "0000-0002");
  bookmark = "0000-0001";
  await session.batch([session.prepare("SELECT 1")]);
  assert.equal(sent[1].session, "0000-0002");
  assert.equal(session.getBookmark(), "0000-0002");
  assert.throws(() => db.withSession("  x  ").prepare("x").bind(undefined), /D1_TYPE_ERROR/);
});
