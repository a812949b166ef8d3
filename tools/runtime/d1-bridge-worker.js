// The D1 bridge: a tiny ES-module Worker that Miniflare runs inside workerd with the real D1
// binding as env.DB. server.mjs sends it serialized D1 operations and it runs them on that
// binding, so SQL, batches, errors and result shapes all come from workerd's own D1 code.
//
// Why a Worker at all: Miniflare's Node-side D1 proxy costs ~9 ms per call, while a message
// into a Worker that already holds the binding costs well under 1 ms on top of D1 itself.
// Node keeps one WebSocket open to this Worker and multiplexes calls over it by id; large
// operations (past workerd's 32 MiB WebSocket message limit) come as plain HTTP POSTs.
//
// Operation: {kind, session, stmts: [{sql, params}], colName?, options?, sql?}
//   kind: "all" | "run" | "first" | "raw" | "batch" | "exec"
//   session: null for the database itself, else the constraint or bookmark of a session.
// Reply: {ok: true, value, bookmark} or {ok: false, error: {name, message, cause}}.
//
// With [assets] in wrangler.toml, env.ASSETS is workerd's static-asset service over that
// directory, and Node forwards requests for it (assets.mjs says how):
//   /__assets/route  an incoming request: the asset's response, or 204 + x-edgejobs-asset: miss
//                    when no asset matches (then Node runs the Python Worker)
//   /__assets/fetch  the Python Worker's env.<binding>.fetch(request): always the asset service
// The original URL, method and redirect mode arrive in x-edgejobs-asset-* headers.

const ASSET_HEADER = "x-edgejobs-asset-";

function assetRequest(request, redirect) {
  const headers = new Headers();
  for (const [name, value] of request.headers) {
    if (!name.startsWith(ASSET_HEADER)) headers.append(name, value);
  }
  return new Request(request.headers.get(`${ASSET_HEADER}url`), {
    method: request.headers.get(`${ASSET_HEADER}method`) ?? "GET",
    headers,
    redirect: redirect ?? request.headers.get(`${ASSET_HEADER}redirect`) ?? "follow",
  });
}

async function serveAsset(request, env, pathname) {
  if (!env.ASSETS) return new Response("no [assets] configured", { status: 404 });
  if (pathname === "/__assets/fetch") return env.ASSETS.fetch(assetRequest(request));
  // An incoming request: redirects go back to the client, as Cloudflare's asset routing does.
  const target = assetRequest(request, "manual");
  if (await env.ASSETS.unstable_canFetch(target)) return env.ASSETS.fetch(target);
  return new Response(null, { status: 204, headers: { [`${ASSET_HEADER}result`]: "miss" } });
}

async function perform(env, op) {
  const db = op.session == null ? env.DB : env.DB.withSession(op.session);
  const statement = (s) => db.prepare(s.sql).bind(...(s.params ?? []));
  let value;
  switch (op.kind) {
    case "all":
      value = await statement(op.stmts[0]).all();
      break;
    case "run":
      value = await statement(op.stmts[0]).run();
      break;
    case "first":
      value = "colName" in op ? await statement(op.stmts[0]).first(op.colName) : await statement(op.stmts[0]).first();
      break;
    case "raw":
      value = await statement(op.stmts[0]).raw(op.options);
      break;
    case "batch":
      value = await db.batch(op.stmts.map(statement));
      break;
    case "exec":
      value = await db.exec(op.sql);
      break;
    default:
      throw new Error(`D1 bridge: unknown operation ${op.kind}`);
  }
  return { ok: true, value: value ?? null, bookmark: op.session == null ? null : db.getBookmark() };
}

async function answer(env, op) {
  try {
    return await perform(env, op);
  } catch (e) {
    const error =
      e instanceof Error
        ? { name: e.name, message: e.message, cause: e.cause instanceof Error ? e.cause.message : null }
        : { name: "Error", message: String(e), cause: null };
    return { ok: false, error };
  }
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith("/__assets/")) return serveAsset(request, env, pathname);
    if (request.headers.get("upgrade") === "websocket") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener("message", async (event) => {
        const { id, op } = JSON.parse(event.data);
        const reply = await answer(env, op);
        server.send(JSON.stringify({ id, ...reply }));
      });
      return new Response(null, { status: 101, webSocket: client });
    }
    if (request.method === "POST") {
      return Response.json(await answer(env, await request.json()));
    }
    return new Response("edgejobs D1 bridge", { status: 404 });
  },
};
