// The HTTP side: which part of the runtime answers a request.
//   /__runtime/*  (only with --test-endpoints)                       -> control routes
//   /cdn-cgi/handler/scheduled?cron=... and /__scheduled?cron=...  -> Default.scheduled
//   a static asset (when wrangler.toml has [assets])                 -> the asset
//   anything else                                                    -> Default.fetch

import { handleControl } from "./control.mjs";
import { CPU_HEADER } from "./cpu.mjs";
import { BodyTooLarge, buildRequest, readBody, sendJson, sendPlain, sendResponse } from "./http.mjs";
import { errorText, logErr } from "./log.mjs";

const INTERNAL_ERROR = JSON.stringify({ error: { code: "internal_error", message: "Internal error." } });

/** The host part of a URL for a listening address (wildcards become loopback). */
export function displayHost(host) {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

// Like wrangler dev: ?cron= (default: the first configured one), optional ?time= in epoch ms,
// and Miniflare's ?format=json for {outcome, noRetry}.
async function handleScheduled(url, res, { config, invoker }) {
  const cron = url.searchParams.get("cron") ?? config.crons[0] ?? "* * * * *";
  const time = Number(url.searchParams.get("time"));
  const error = await invoker.scheduled(cron, Number.isFinite(time) && time > 0 ? time : Date.now());
  const status = error ? 500 : 200;
  if (url.searchParams.get("format") === "json") {
    sendJson(res, status, { outcome: error ? "exception" : "ok", noRetry: false });
  } else {
    sendPlain(res, status, error ? errorText(error) : "Ran scheduled event");
  }
}

async function handleFetch(req, url, res, { invoker, assets, meter }) {
  let body;
  try {
    body = await readBody(req);
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      res.setHeader("connection", "close");
      return sendPlain(res, 413, "413 Request Entity Too Large");
    }
    throw err;
  }
  const request = buildRequest(req, url, body);
  const head = req.method === "HEAD";
  if (assets) {
    const asset = await assets.route(request);
    if (asset) return sendResponse(res, asset, { head });
  }
  let response;
  let cpuMs = null;
  if (meter) [response, cpuMs] = await meter.measure(() => invoker.fetch(request, url.pathname));
  else response = await invoker.fetch(request, url.pathname);
  if (!response) return sendPlain(res, 500, INTERNAL_ERROR, "application/json");
  const extraHeaders = cpuMs === null ? [] : [CPU_HEADER, cpuMs.toFixed(3)];
  await sendResponse(res, response, { head, extraHeaders });
}

/**
 * The listener for http.createServer. `services`: {opts, config, invoker, faults, client,
 * assets (an AssetRouter or null), meter (a CpuMeter with --cpu-timing, else null)}.
 */
export function requestListener(services) {
  const { opts } = services;
  return async (req, res) => {
    try {
      const url = new URL(req.url, `http://${req.headers.host || `${displayHost(opts.host)}:${opts.port}`}`);
      if (opts.testEndpoints && url.pathname.startsWith("/__runtime/")) {
        return await handleControl(req, url, res, services);
      }
      if (url.pathname === "/cdn-cgi/handler/scheduled" || url.pathname === "/__scheduled") {
        return await handleScheduled(url, res, services);
      }
      return await handleFetch(req, url, res, services);
    } catch (err) {
      logErr(`edgejobs runtime: internal error: ${err?.stack ?? err}`);
      if (!res.headersSent) sendPlain(res, 500, INTERNAL_ERROR, "application/json");
      else res.destroy();
    }
  };
}
