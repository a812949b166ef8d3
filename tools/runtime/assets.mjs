// Static assets as Cloudflare serves them for a Worker with [assets]: the files themselves are
// served by workerd's own asset service inside the bridge (the same code wrangler dev runs:
// content types, ETags and 304s, `html_handling`, `_headers`/`_redirects`); this module decides,
// like Cloudflare's asset router, whether a request goes to the assets or to the Worker:
//   1. a negative `run_worker_first` rule (`!/docs/*`) matches  -> assets (even a 404)
//   2. a `run_worker_first` rule (`/api/*`) matches             -> Worker
//   3. `run_worker_first = true`                                -> Worker
//   4. an asset answers the path (`/dashboard/`, `/app.css`, and `/dashboard` with its
//      redirect to `/dashboard/`)                               -> assets, the Worker never runs
//   5. otherwise                                                 -> Worker
// The Worker reaches the same files through its binding: `env.ASSETS.fetch(request)`.

const ASSET_HEADER = "x-edgejobs-asset-";
// Headers Node's fetch will not forward; accept-encoding is dropped so that Node's fetch never
// decodes a body behind the asset service's back.
const NOT_FORWARDED = new Set([
  "connection",
  "content-length",
  "host",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "accept-encoding",
]);

/** Cloudflare's rule syntax: `*` matches anything (slashes too); the whole path must match. */
export function ruleMatcher(rules) {
  const escape = (text) => text.replace(/[-/\\^$*+?.()|[\]{}]/g, "\\$&");
  const patterns = rules.map((rule) => new RegExp(`^${rule.split("*").map(escape).join(".*")}$`));
  return (pathname) => patterns.some((pattern) => pattern.test(pathname));
}

/** Sends `request` to the bridge's asset endpoint `kind` ("route" or "fetch"). */
async function forward(bridgeUrl, kind, request, redirect = request.redirect) {
  const headers = new Headers();
  for (const [name, value] of request.headers) {
    if (!NOT_FORWARDED.has(name)) headers.append(name, value);
  }
  headers.set(`${ASSET_HEADER}url`, request.url);
  headers.set(`${ASSET_HEADER}method`, request.method);
  headers.set(`${ASSET_HEADER}redirect`, redirect);
  return fetch(new URL(`/__assets/${kind}`, await bridgeUrl), { headers, redirect: "manual" });
}

/** Decides per incoming request; `route()` answers an asset Response or null (run the Worker). */
export class AssetRouter {
  #bridgeUrl;
  #routing;
  #toAssets;
  #toWorker;

  /** bridgeUrl: the bridge's URL or a promise of it; routing: from parseAssets(). */
  constructor(bridgeUrl, routing) {
    this.#bridgeUrl = bridgeUrl;
    this.#routing = routing;
    this.#toAssets = ruleMatcher(routing.static_routing?.asset_worker ?? []);
    this.#toWorker = ruleMatcher(routing.static_routing?.user_worker ?? []);
  }

  /** Which way a path goes before any asset is looked at: "assets", "worker" or null. */
  decide(pathname) {
    if (this.#toAssets(pathname)) return "assets";
    if (this.#toWorker(pathname)) return "worker";
    if (this.#routing.invoke_user_worker_ahead_of_assets) return "worker";
    return null;
  }

  async route(request) {
    const decision = this.decide(new URL(request.url).pathname);
    if (decision === "worker") return null;
    // An incoming request's redirects go back to the client.
    if (decision === "assets") return forward(this.#bridgeUrl, "fetch", request, "manual");
    const response = await forward(this.#bridgeUrl, "route", request);
    if (response.headers.get(`${ASSET_HEADER}result`) === "miss") return null;
    return response;
  }
}

/**
 * The assets binding the Worker sees (`env.ASSETS`). The Python SDK wraps a binding for fetch
 * only if its JS class is named exactly `Fetcher`, as workerd's is.
 */
export class Fetcher {
  #bridgeUrl;

  constructor(bridgeUrl) {
    this.#bridgeUrl = bridgeUrl;
  }

  /** Like a service binding's fetch: a Request or an absolute URL, and optional init. */
  async fetch(input, init) {
    return forward(this.#bridgeUrl, "fetch", new Request(input, init));
  }
}
