// Static assets with [assets] in wrangler.toml, as Cloudflare serves them: files answer without
// the Worker (content types, index.html for a directory, /dir -> /dir/), run_worker_first
// patterns send paths to the Worker first, misses go to the Worker, and the Worker reads the
// same files through env.ASSETS.fetch.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { ConfigError, parseAssets, staticRouting } from "./config.mjs";
import { AssetRouter, ruleMatcher } from "./assets.mjs";
import { makeProject, startRuntime } from "./testing.mjs";

const WORKER = `
from urllib.parse import parse_qs, urljoin, urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        if url.path == "/api/asset":
            target = urljoin(request.url, parse_qs(url.query)["path"][0])
            asset = await self.env.ASSETS.fetch(target)
        elif url.path == "/api/asset-request":
            asset = await self.env.ASSETS.fetch(request)
        else:
            return Response("worker " + request.method + " " + url.path)
        body = await asset.text()
        return Response(f"{asset.status} {asset.headers.get('content-type')} {body}")
`;

const TOML = `
[assets]
directory = "public"
binding = "ASSETS"
run_worker_first = ["/api/*", "!/api/docs/*", "/health"]
`;

const FILES = {
  "public/dashboard/index.html": "<!doctype html><title>dashboard</title>\n",
  "public/app.css": "body { margin: 0 }\n",
  "public/app.js": "console.log(1);\n",
  "public/data.json": '{"a": 1}\n',
  "public/health": "a file the Worker shadows\n",
  "public/api/x.txt": "shadowed by /api/*\n",
  "public/api/docs/index.html": "<p>docs</p>\n",
  "public/_headers": "/dashboard/*\n  Content-Security-Policy: default-src 'self'\n",
  "public/.assetsignore": "notes.txt\n",
  "public/notes.txt": "never served\n",
};

let dir;
let runtime;
const get = (path, init = {}) => fetch(`${runtime.url}${path}`, { redirect: "manual", ...init });

before(async () => {
  dir = makeProject({ worker: WORKER, toml: TOML, files: FILES });
  runtime = await startRuntime(dir, []);
  assert.ok(runtime.url, runtime.text());
});

after(async () => {
  await runtime?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("files are served without the Worker, with their content types", async () => {
  for (const [path, type, body] of [
    ["/dashboard/", "text/html; charset=utf-8", FILES["public/dashboard/index.html"]],
    ["/app.css", "text/css; charset=utf-8", FILES["public/app.css"]],
    ["/app.js", "text/javascript; charset=utf-8", FILES["public/app.js"]],
    ["/data.json", "application/json", FILES["public/data.json"]],
  ]) {
    const response = await get(path);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("content-type"), type, path);
    assert.equal(await response.text(), body, path);
  }
});

test("a directory without its slash redirects to it, as auto-trailing-slash does", async () => {
  for (const path of ["/dashboard", "/dashboard/index.html"]) {
    const response = await get(path);
    assert.equal(response.status, 307, path);
    assert.equal(response.headers.get("location"), "/dashboard/", path);
  }
});

test("a _headers file adds headers to matching assets, and is not served itself", async () => {
  const page = await get("/dashboard/");
  assert.equal(page.headers.get("content-security-policy"), "default-src 'self'");
  assert.equal((await get("/app.css")).headers.get("content-security-policy"), null);
  assert.equal(await (await get("/_headers")).text(), "worker GET /_headers");
});

test(".assetsignore keeps files (and itself) from being served", async () => {
  assert.equal(await (await get("/notes.txt")).text(), "worker GET /notes.txt");
  assert.equal(await (await get("/.assetsignore")).text(), "worker GET /.assetsignore");
});

test("HEAD has no body, and a known ETag is a 304", async () => {
  const head = await get("/app.css", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
  const etag = (await get("/app.css")).headers.get("etag");
  assert.match(etag, /^"[0-9a-f]+"$/);
  const again = await get("/app.css", { headers: { "if-none-match": etag } });
  assert.equal(again.status, 304);
});

test("paths with no asset go to the Worker", async () => {
  assert.equal(await (await get("/nothing/here")).text(), "worker GET /nothing/here");
  assert.equal(await (await get("/", { method: "POST", body: "x" })).text(), "worker POST /");
});

test("run_worker_first paths go to the Worker even when a file matches; negative rules do not", async () => {
  assert.equal(await (await get("/api/x.txt")).text(), "worker GET /api/x.txt");
  assert.equal(await (await get("/health")).text(), "worker GET /health");
  const docs = await get("/api/docs/");
  assert.equal(await docs.text(), FILES["public/api/docs/index.html"]);
  // A negative rule sends the path to the assets even when none matches: their 404.
  const missing = await get("/api/docs/missing");
  assert.equal(missing.status, 404);
  assert.doesNotMatch(await missing.text(), /worker/);
});

test("the Worker reads assets through env.ASSETS.fetch (a URL or its own request)", async () => {
  const page = await (await get("/api/asset?path=/dashboard/")).text();
  assert.equal(page, `200 text/html; charset=utf-8 ${FILES["public/dashboard/index.html"]}`);
  // A binding's fetch follows the redirect, as workerd's does for a service binding.
  assert.equal(await (await get("/api/asset?path=/dashboard")).text(), page);
  assert.match(await (await get("/api/asset?path=/nope.css")).text(), /^404 /);
  assert.match(await (await get("/api/asset-request")).text(), /^404 /);
});

test("run_worker_first: true sends every path to the Worker first; false or none asks the assets", () => {
  assert.equal(new AssetRouter(null, staticRouting(true)).decide("/app.css"), "worker");
  assert.equal(new AssetRouter(null, staticRouting(false)).decide("/app.css"), null);
  assert.equal(new AssetRouter(null, {}).decide("/api/x"), null);
  const router = new AssetRouter(null, staticRouting(["/api/*", "!/api/docs/*"]));
  assert.equal(router.decide("/api/x"), "worker");
  assert.equal(router.decide("/api/docs/a"), "assets");
  assert.equal(router.decide("/apix"), null);
});

test("rules: * matches across slashes and the whole path must match", () => {
  const match = ruleMatcher(["/api/*", "/health", "/v*.json"]);
  assert.ok(match("/api/"));
  assert.ok(match("/api/a/b"));
  assert.ok(match("/health"));
  assert.ok(match("/v1/openapi.json"));
  assert.ok(!match("/api"));
  assert.ok(!match("/health/x"));
  assert.ok(!match("/x/health"));
});

test("[assets] is checked like wrangler checks it", () => {
  const parsed = parseAssets({ directory: "public", binding: "ASSETS", run_worker_first: ["/api/*"] }, "/p");
  assert.deepEqual(parsed, {
    directory: "/p/public",
    binding: "ASSETS",
    routing: { static_routing: { user_worker: ["/api/*"], asset_worker: [] } },
    htmlHandling: undefined,
    notFoundHandling: undefined,
  });
  for (const raw of [
    {},
    { directory: "public", run_worker_first: [] },
    { directory: "public", run_worker_first: ["api/*"] },
    { directory: "public", run_worker_first: ["!/api/*"] },
    { directory: "public", run_worker_first: "yes" },
    { directory: "public", html_handling: "always" },
    { directory: "public", binding: "has-dash" },
  ]) {
    assert.throws(() => parseAssets(raw, "/p"), ConfigError, JSON.stringify(raw));
  }
});
