// The test-only control routes under /__runtime/ (enabled by --test-endpoints):
//   GET/POST /__runtime/d1-faults   read or set the D1 fault injection ({rate, fail_nth, lose_rate, lose_nth})
//   POST     /__runtime/sql         run SQL on D1 directly: {sql, params}, {batch: [...]}, {exec}

import { parseFaultSetting } from "./faults.mjs";
import { readBody, sendJson } from "./http.mjs";
import { errorText } from "./log.mjs";

async function readJsonObject(req) {
  if (req.method !== "POST") return {};
  const text = (await readBody(req)).toString("utf8");
  const body = text.trim() ? JSON.parse(text) : {};
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error("expected a JSON object");
  return body;
}

/** The bridge operation for a /__runtime/sql body, or null if it has none of the shapes. */
export function sqlOperation(body) {
  if (Array.isArray(body.batch)) {
    return { kind: "batch", session: null, stmts: body.batch.map((s) => ({ sql: s.sql, params: s.params ?? [] })) };
  }
  if (typeof body.exec === "string") return { kind: "exec", session: null, sql: body.exec };
  if (typeof body.sql === "string") {
    return { kind: "all", session: null, stmts: [{ sql: body.sql, params: body.params ?? [] }] };
  }
  return null;
}

/** Answers a /__runtime/* request. `client` is the D1 bridge client, `faults` the injector. */
export async function handleControl(req, url, res, { faults, client }) {
  let body;
  try {
    body = await readJsonObject(req);
  } catch (err) {
    return sendJson(res, 400, { error: `invalid JSON body: ${errorText(err)}` });
  }
  if (url.pathname === "/__runtime/d1-faults") {
    if (req.method === "POST") {
      try {
        faults.set(parseFaultSetting(body));
      } catch (err) {
        return sendJson(res, 400, { error: errorText(err) });
      }
    }
    return sendJson(res, 200, faults.status());
  }
  if (url.pathname === "/__runtime/sql" && req.method === "POST") {
    const op = sqlOperation(body);
    if (!op) return sendJson(res, 400, { error: 'expected {"sql", "params"}, {"batch": [...]} or {"exec": "..."}' });
    // Straight to the bridge: the fault injector only sits in front of the app's binding.
    let reply;
    try {
      reply = await client.send(op);
    } catch (err) {
      // Not a D1 error: the bridge could not carry it (say, an answer too large for one message).
      return sendJson(res, 500, { error: `the SQL endpoint failed: ${errorText(err)}` });
    }
    return reply.ok ? sendJson(res, 200, reply.value) : sendJson(res, 400, { error: reply.error.message });
  }
  return sendJson(res, 404, { error: `no runtime route ${req.method} ${url.pathname}` });
}
