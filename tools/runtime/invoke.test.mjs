// WorkerInvoker against a stand-in for the Python side: what a handler's result, exception and
// waitUntil work turn into, without starting Pyodide.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ExecutionContext, patchWaitUntil } from "./execution-context.mjs";
import { WorkerInvoker } from "./invoke.mjs";

const later = (ms, value, fail = false) =>
  new Promise((resolve, reject) => setTimeout(() => (fail ? reject(new Error(value)) : resolve(value)), ms));

/** A fake `python` whose handlers run `fetchBody(ctx)` / `scheduledBody(ctx)`. */
function fakePython({ fetchBody = async () => new Response("ok"), scheduledBody = async () => {} } = {}) {
  return {
    fetch: (request, env, ctx) => fetchBody(ctx, request, env),
    scheduled: (controller, env, ctx) => scheduledBody(ctx, controller, env),
  };
}

function capture(fn) {
  const lines = [];
  const write = process.stderr.write;
  process.stderr.write = (line) => (lines.push(String(line)), true);
  return Promise.resolve(fn())
    .finally(() => (process.stderr.write = write))
    .then((value) => [value, lines]);
}

test("fetch answers the handler's Response and keeps its waitUntil work running after", async () => {
  let done = false;
  const python = fakePython({
    fetchBody: async (ctx) => {
      ctx.waitUntil(later(50).then(() => (done = true)));
      return new Response("hi");
    },
  });
  const invoker = new WorkerInvoker(python, {}, assert.fail);
  const response = await invoker.fetch(new Request("http://x/"), "/");
  assert.equal(await response.text(), "hi");
  assert.equal(done, false);
  assert.equal(invoker.backgroundCount, 1);
  await invoker.drain(1000);
  assert.equal(done, true);
  assert.equal(invoker.backgroundCount, 0);
});

test("drain gives up after its time limit", async () => {
  const python = fakePython({ fetchBody: async (ctx) => (ctx.waitUntil(later(5000)), new Response("")) });
  const invoker = new WorkerInvoker(python, {}, assert.fail);
  await invoker.fetch(new Request("http://x/"), "/");
  const started = Date.now();
  await invoker.drain(50);
  assert.ok(Date.now() - started < 1000);
  assert.equal(invoker.backgroundCount, 1);
});

test("a handler that throws or answers no Response: null, logged like workerd", async () => {
  for (const [fetchBody, message] of [
    [async () => Promise.reject(new Error("boom")), "Uncaught exception in fetch (GET /p): boom"],
    [async () => "text", "Uncaught exception in fetch (GET /p): Incorrect type for Promise"],
  ]) {
    const invoker = new WorkerInvoker(fakePython({ fetchBody }), {}, assert.fail);
    const [response, lines] = await capture(() => invoker.fetch(new Request("http://x/p"), "/p"));
    assert.equal(response, null);
    assert.ok(lines.join("").includes(message), lines.join(""));
  }
});

test("scheduled waits for its waitUntil work and reports its failure", async () => {
  const errors = [];
  let finished = false;
  const ok = fakePython({ scheduledBody: async (ctx) => ctx.waitUntil(later(30).then(() => (finished = true))) });
  assert.equal(await new WorkerInvoker(ok, {}, assert.fail).scheduled("* * * * *", Date.now()), null);
  assert.equal(finished, true);
  const failing = fakePython({ scheduledBody: async (ctx) => ctx.waitUntil(later(10, "late failure", true)) });
  const error = await new WorkerInvoker(failing, {}, (e) => errors.push(e)).scheduled("* * * * *", Date.now());
  assert.equal(error.message, "late failure");
  assert.deepEqual(
    errors.map((e) => e.message),
    ["late failure"],
  );
});

test("scheduled passes the controller and reports a handler exception", async () => {
  let seen;
  const python = fakePython({
    scheduledBody: async (ctx, controller) => {
      seen = controller;
      throw new Error("cron broke");
    },
  });
  const [error] = await capture(() => new WorkerInvoker(python, {}, assert.fail).scheduled("*/5 * * * *", 1234));
  assert.equal(error.message, "cron broke");
  assert.deepEqual(
    { cron: seen.cron, scheduledTime: seen.scheduledTime, type: seen.type },
    {
      cron: "*/5 * * * *",
      scheduledTime: 1234,
      type: "scheduled",
    },
  );
});

test("settle waits for work added while it waits", async () => {
  const ctx = new ExecutionContext(assert.fail);
  const order = [];
  ctx.waitUntil(later(20).then(() => (order.push(1), ctx.waitUntil(later(20).then(() => order.push(2))))));
  const results = await ctx.settle();
  assert.deepEqual(order, [1, 2]);
  assert.equal(results.length, 2);
  assert.equal(Object.prototype.toString.call(ctx), "[object ExecutionContext]");
});

test("patchWaitUntil keeps a copy of a borrowed proxy, awaits it, then destroys the copy", async () => {
  const ctx = new ExecutionContext(assert.fail);
  patchWaitUntil(ctx);
  const events = [];
  const copy = { then: (resolve) => (events.push("awaited"), resolve()), destroy: () => events.push("destroyed") };
  ctx.waitUntil({ copy: () => (events.push("copied"), copy) });
  await ctx.settle();
  assert.deepEqual(events, ["copied", "awaited", "destroyed"]);
  patchWaitUntil({ waitUntil: assert.fail }); // not an ExecutionContext: left alone
});
