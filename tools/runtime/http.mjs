// Conversions between Node's HTTP server and the web Request/Response the Worker sees.

// Cloudflare rejects request bodies over 100 MB (the Workers limit on Free/Pro plans).
export const MAX_REQUEST_BODY = 100 * 1024 * 1024;

// Hop-by-hop headers belong to the connection, not the request the Worker sees.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
]);

// Methods the fetch spec forbids in `new Request()` (Node's undici enforces it; CONNECT never
// gets here: Node's server hands it to a 'connect' listener, and there is none).
const FETCH_FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

export class BodyTooLarge extends Error {
  name = "BodyTooLarge";
}

/** Reads the whole request body, failing fast (BodyTooLarge) past `limit` bytes. */
export function readBody(req, limit = MAX_REQUEST_BODY) {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}

/** Builds the web Request the Worker receives, as workerd would hand it over. */
export function buildRequest(req, url, body) {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i].toLowerCase())) headers.append(raw[i], raw[i + 1]);
  }
  // Like wrangler dev, the client address arrives as CF-Connecting-IP.
  if (!headers.has("cf-connecting-ip") && req.socket.remoteAddress) {
    headers.set("cf-connecting-ip", req.socket.remoteAddress.replace(/^::ffff:/, ""));
  }
  const method = req.method.toUpperCase();
  const hasBody = method !== "GET" && method !== "HEAD" && body.length > 0;
  if (!FETCH_FORBIDDEN_METHODS.has(method)) return new Request(url, { method, headers, body: hasBody ? body : null });
  // `new Request()` throws for these, but workerd hands them to the Worker like any other
  // method (and the app answers 405): build it with a stand-in method, then report the real one.
  const request = new Request(url, { method: hasBody ? "POST" : "GET", headers, body: hasBody ? body : null });
  Object.defineProperty(request, "method", { value: method, enumerable: true });
  return request;
}

const NO_BODY_STATUS = new Set([101, 204, 205, 304]);

/**
 * Writes a web Response to Node's ServerResponse. A body that is complete within the first
 * MiB is sent with Content-Length (as workerd does for fixed bodies); longer or still-running
 * streams go out chunked as they come.
 */
export async function sendResponse(res, response, { head = false, extraHeaders = [] } = {}) {
  const headers = [...extraHeaders];
  for (const [name, value] of response.headers) {
    if (name === "set-cookie" || name === "content-length" || name === "transfer-encoding") continue;
    headers.push(name, value);
  }
  for (const cookie of response.headers.getSetCookie()) headers.push("set-cookie", cookie);
  const status = response.status;
  const statusText = response.statusText || undefined;
  if (!response.body || NO_BODY_STATUS.has(status)) {
    if (!NO_BODY_STATUS.has(status)) headers.push("content-length", "0");
    res.writeHead(status, statusText, headers);
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  let done = false;
  while (size <= 1024 * 1024) {
    const next = await reader.read();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.byteLength;
  }
  if (done) {
    headers.push("content-length", String(size));
    res.writeHead(status, statusText, headers);
    if (head) res.end();
    else res.end(Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))));
    return;
  }
  res.writeHead(status, statusText, headers);
  if (head) {
    reader.cancel().catch(() => {});
    res.end();
    return;
  }
  for (const chunk of chunks) res.write(chunk);
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      if (!res.write(next.value)) await new Promise((resolve) => res.once("drain", resolve));
    }
  } finally {
    res.end();
  }
}

/** A small helper for the runtime's own answers (errors, control routes). */
export function sendPlain(res, status, body, contentType = "text/plain;charset=UTF-8") {
  const data = Buffer.from(body);
  res.writeHead(status, { "content-type": contentType, "content-length": String(data.length) });
  res.end(data);
}

export function sendJson(res, status, value) {
  sendPlain(res, status, JSON.stringify(value), "application/json");
}
