// What the Worker's Python can do beyond answering: outbound HTTP with Pyodide's fetch (js.fetch
// and the SDK's workers.fetch), with a timeout through AbortSignal, and background work with
// self.ctx.waitUntil(coroutine) that runs on after the response (a request) or that the event
// waits for (a cron trigger). A loopback server in this process plays the remote end.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import { after, before, test } from "node:test";
import { eventually, makeProject, startRuntime } from "./testing.mjs";

const WORKER = `
import asyncio
from urllib.parse import parse_qs, urlparse

from js import AbortSignal, Object
from js import fetch as js_fetch
from pyodide.ffi import JsException, to_js
from workers import Response, WorkerEntrypoint, fetch


def init(**fields):
    return to_js(fields, dict_converter=Object.fromEntries)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        target = self.env.REMOTE + query.get("path", "/")
        if url.path == "/js-fetch":
            signal = AbortSignal.timeout(int(query["timeout_ms"]))
            try:
                response = await js_fetch(target, init(method="POST", body="ping", signal=signal))
            except JsException as exc:
                return Response(f"{exc.name}: {exc.message}", status=504)
            return Response(f"{response.status} {await response.text()}")
        if url.path == "/sdk-fetch":
            signal = AbortSignal.timeout(int(query["timeout_ms"]))
            try:
                response = await fetch(target, method="POST", body="ping", signal=signal)
            except Exception as exc:
                return Response(f"{type(exc).__name__}: {exc}", status=504)
            return Response(f"{response.status} {await response.text()}")
        if url.path == "/background":
            self.ctx.waitUntil(self.report(target, float(query["delay"])))
            return Response("answered")
        return Response("no route", status=404)

    async def report(self, target, delay):
        await asyncio.sleep(delay)
        await js_fetch(target, init(method="POST", body="done"))
        if "fail" in target:
            raise RuntimeError("background work failed")

    async def scheduled(self, controller):
        self.ctx.waitUntil(self.report(self.env.REMOTE + "/" + controller.cron.split()[0], 0.3))
`;

let dir;
let runtime;
let remote;
const received = []; // {path, body} of every request the loopback server got

before(async () => {
  remote = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ path: req.url, body });
      const delay = req.url.startsWith("/slow") ? 2000 : 0;
      setTimeout(() => res.end(`pong ${req.method} ${req.url} ${body}`), delay);
    });
  });
  await new Promise((resolve) => remote.listen(0, "127.0.0.1", resolve));
  dir = makeProject({ worker: WORKER });
  runtime = await startRuntime(dir, ["--var", `REMOTE=http://127.0.0.1:${remote.address().port}`]);
  assert.ok(runtime.url, runtime.text());
});

after(async () => {
  await runtime?.stop();
  remote.closeAllConnections();
  remote.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = async (path) => {
  const response = await fetch(`${runtime.url}${path}`);
  return `${response.status} ${await response.text()}`;
};

test("js.fetch reaches a loopback server", async () => {
  assert.equal(await get("/js-fetch?path=/hello&timeout_ms=5000"), "200 200 pong POST /hello ping");
});

test("js.fetch with AbortSignal.timeout gives up on a slow server", async () => {
  const started = Date.now();
  const answer = await get("/js-fetch?path=/slow&timeout_ms=200");
  assert.match(answer, /^504 TimeoutError: /);
  assert.ok(Date.now() - started < 1900, "answered before the server did");
});

test("the SDK's fetch (workers.fetch) takes the same signal", async () => {
  assert.equal(await get("/sdk-fetch?path=/hello&timeout_ms=5000"), "200 200 pong POST /hello ping");
  assert.equal(
    await get("/sdk-fetch?path=/slow&timeout_ms=200"),
    "504 AbortError: The operation was aborted due to timeout",
  );
});

test("ctx.waitUntil work runs on after the response is sent", async () => {
  const path = `/after-response-${Date.now()}`;
  assert.equal(await get(`/background?path=${path}&delay=0.3`), "200 answered");
  assert.equal(received.filter((r) => r.path === path).length, 0, "not done before the response");
  await eventually(() => received.some((r) => r.path === path && r.body === "done"), 10_000, "background report");
});

test("a failing waitUntil coroutine is logged, and the response stands", async () => {
  const mark = runtime.output.length;
  assert.equal(await get(`/background?path=/fail-${Date.now()}&delay=0`), "200 answered");
  await eventually(() => runtime.output.slice(mark).some((l) => l.includes("RuntimeError: background work failed")));
  assert.ok(runtime.output.slice(mark).some((l) => l.startsWith("Uncaught (in promise)")));
});

test("a cron trigger lasts until its waitUntil work is done", async () => {
  const response = await fetch(`${runtime.url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("7 * * * *")}`);
  assert.equal(await response.text(), "Ran scheduled event");
  assert.ok(
    received.some((r) => r.path === "/7" && r.body === "done"),
    "done before the event ended",
  );
  // Its failure is the event's failure.
  const failed = await fetch(`${runtime.url}/cdn-cgi/handler/scheduled?cron=fail&format=json`);
  assert.equal(failed.status, 500);
  assert.deepEqual(await failed.json(), { outcome: "exception", noRetry: false });
});

test("shutdown waits for waitUntil work still running", async () => {
  const path = `/at-shutdown-${Date.now()}`;
  assert.equal(await get(`/background?path=${path}&delay=0.3`), "200 answered");
  assert.deepEqual(await runtime.stop("SIGTERM"), { code: 0, signal: null });
  assert.ok(
    received.some((r) => r.path === path && r.body === "done"),
    "finished before the process exited",
  );
});
