import assert from "node:assert/strict";
import { test } from "node:test";
import { buildRequest } from "./http.mjs";

// A stand-in for Node's IncomingMessage: what buildRequest reads of it.
function incoming(method, headers = {}) {
  return {
    method,
    rawHeaders: Object.entries(headers).flat(),
    socket: { remoteAddress: "::ffff:127.0.0.1" },
  };
}

test("headers pass through, hop-by-hop ones do not; the client address arrives as CF-Connecting-IP", () => {
  const req = incoming("POST", { "Content-Type": "application/json", Connection: "keep-alive" });
  const request = buildRequest(req, new URL("http://127.0.0.1/api/x?a=1"), Buffer.from("{}"));
  assert.equal(request.method, "POST");
  assert.equal(request.url, "http://127.0.0.1/api/x?a=1");
  assert.equal(request.headers.get("content-type"), "application/json");
  assert.equal(request.headers.get("connection"), null);
  assert.equal(request.headers.get("cf-connecting-ip"), "127.0.0.1");
});

test("methods the fetch spec forbids in new Request() still reach the Worker, as with workerd", async () => {
  for (const method of ["TRACE", "TRACK", "trace"]) {
    const request = buildRequest(
      incoming(method, { "X-Test": "1" }),
      new URL("http://127.0.0.1/health"),
      Buffer.alloc(0),
    );
    assert.equal(request.method, method.toUpperCase());
    assert.equal(request.headers.get("x-test"), "1");
    assert.equal((await request.arrayBuffer()).byteLength, 0);
  }
  const withBody = buildRequest(incoming("TRACE"), new URL("http://127.0.0.1/x"), Buffer.from("abc"));
  assert.equal(withBody.method, "TRACE");
  assert.equal(await withBody.text(), "abc");
});

test("GET and HEAD never carry a body", async () => {
  const request = buildRequest(incoming("GET"), new URL("http://127.0.0.1/x"), Buffer.from("abc"));
  assert.equal(request.body, null);
});
