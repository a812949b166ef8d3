// The D1 binding the Python Worker sees, backed by the real D1 in Miniflare via the bridge
// Worker (d1-bridge-worker.js).
//
// The class names matter: the Python SDK wraps a binding only if its JS constructor is named
// exactly `D1Database` (workers/rpc.py, _EnvWrapper). The method surface and the argument
// checks in bind() mirror workerd's own `cloudflare-internal:d1-api` module, so a bad
// argument fails at the same moment with the same message as in production (bind() throws
// D1_TYPE_ERROR synchronously). Everything else (SQL, batches, result shapes, D1_ERROR texts)
// is produced by workerd's D1 binding inside the bridge.

import { OVERLOADED } from "./faults.mjs";

// workerd's WebSocket accepts messages up to 32 MiB; bigger operations go over HTTP.
// Counted in UTF-16 units, which take at most 3 bytes each in UTF-8.
const MAX_WS_CHARS = 10 * 1024 * 1024;

/** Talks to the bridge Worker: one multiplexed WebSocket, HTTP for oversized operations. */
export class D1BridgeClient {
  #url;
  #socket = null;
  #connecting = null;
  #pending = new Map();
  #nextId = 1;
  #closed = false;
  #meter;

  /** url: the bridge Worker's URL, or a promise of it (known once Miniflare is up); meter: a
   *  CpuMeter (cpu.mjs) to tell the time spent waiting for D1, or null. */
  constructor(url, meter = null) {
    this.#url = Promise.resolve(url).then((u) => new URL(u));
    this.#meter = meter;
  }

  /** Opens the WebSocket now (start-up does this so the first query pays no handshake). */
  connect() {
    return this.#connect();
  }

  async #connect() {
    if (this.#socket) return this.#socket;
    if (this.#connecting) return this.#connecting;
    const wsUrl = new URL(await this.#url);
    if (this.#socket) return this.#socket;
    if (this.#connecting) return this.#connecting;
    wsUrl.protocol = wsUrl.protocol === "https:" ? "wss:" : "ws:";
    this.#connecting = new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl);
      socket.onopen = () => {
        this.#socket = socket;
        this.#connecting = null;
        resolve(socket);
      };
      socket.onerror = () => {
        if (this.#socket !== socket) {
          this.#connecting = null;
          reject(new Error("D1_ERROR: local D1 bridge is unreachable"));
        }
      };
      socket.onclose = () => {
        if (this.#socket === socket) this.#socket = null;
        // Calls in flight on a dropped connection cannot be answered; the next call reconnects.
        for (const [id, { reject: fail }] of this.#pending) {
          this.#pending.delete(id);
          fail(new Error("D1_ERROR: local D1 bridge connection closed"));
        }
      };
      socket.onmessage = (event) => {
        // The bridge writes the id first; the reply is parsed by send(), after the metered wait.
        const id = Number(/^\{"id":(\d+),/.exec(event.data.slice(0, 32))?.[1] ?? JSON.parse(event.data).id);
        const waiter = this.#pending.get(id);
        if (waiter) {
          this.#pending.delete(id);
          waiter.resolve(event.data);
        }
      };
    });
    return this.#connecting;
  }

  /** Sends one operation; resolves to the bridge's reply object. */
  async send(op) {
    if (this.#closed) throw new Error("D1_ERROR: local runtime is shutting down");
    const id = this.#nextId++;
    // Serialising the operation and parsing the answer are the Worker's work in production too
    // (workerd's D1 client sends and reads JSON in the isolate): both stay out of the metered wait.
    const message = JSON.stringify({ id, op });
    const exchange = async () => {
      if (message.length > MAX_WS_CHARS) {
        const response = await fetch(await this.#url, { method: "POST", body: JSON.stringify(op) });
        return response.text();
      }
      const socket = await this.#connect();
      return new Promise((resolve, reject) => {
        this.#pending.set(id, { resolve, reject });
        socket.send(message);
      });
    };
    return JSON.parse(await (this.#meter ? this.#meter.d1(exchange) : exchange()));
  }

  close() {
    this.#closed = true;
    this.#socket?.close();
  }
}

const overloaded = () => new Error(`D1_ERROR: ${OVERLOADED}`, { cause: new Error(OVERLOADED) });

/** Runs an operation and turns a failed reply back into the Error workerd would throw. */
async function execute(backend, op) {
  const fault = backend.faults?.decide();
  if (fault === "fail") throw overloaded();
  const reply = await backend.client.send(op);
  if (fault === "lose") throw overloaded(); // it ran; its answer never arrives
  if (!reply.ok) {
    const { name, message, cause } = reply.error;
    const error = cause != null ? new Error(message, { cause: new Error(cause) }) : new Error(message);
    if (name && name !== "Error") {
      // TypeError/RangeError keep their class so the SDK maps them to Python exceptions alike.
      const Ctor = globalThis[name];
      if (typeof Ctor === "function" && Ctor.prototype instanceof Error) {
        const typed = new Ctor(message);
        if (cause != null) typed.cause = error.cause;
        throw typed;
      }
    }
    throw error;
  }
  return reply;
}

// Same validation and conversion as workerd's D1PreparedStatement.bind().
export function transformBindValue(r) {
  const rType = typeof r;
  if (rType === "number" || rType === "string") return r;
  if (rType === "boolean") return r ? 1 : 0;
  if (rType === "object") {
    if (r == null) return r;
    if (Array.isArray(r) && r.every((b) => typeof b == "number" && b >= 0 && b < 256)) return r;
    if (r instanceof ArrayBuffer) return Array.from(new Uint8Array(r));
    if (ArrayBuffer.isView(r)) return Array.from(r);
  }
  throw new Error(`D1_TYPE_ERROR: Type '${rType}' not supported for value '${r}'`, {
    cause: new Error(`Type '${rType}' not supported for value '${r}'`),
  });
}

const FIRST_UNCONSTRAINED = "first-unconstrained";
const FIRST_PRIMARY = "first-primary";

export class D1DatabaseSession {
  #backend;
  #bookmarkOrConstraint;

  constructor(backend, bookmarkOrConstraint) {
    this.#backend = backend;
    if (bookmarkOrConstraint == null) {
      this.#bookmarkOrConstraint = null;
    } else {
      this.#bookmarkOrConstraint = String(bookmarkOrConstraint).trim();
      if (!this.#bookmarkOrConstraint) throw new Error("D1_SESSION_ERROR: invalid bookmark or constraint");
    }
  }

  prepare(sql) {
    return new D1PreparedStatement(this, sql);
  }

  async batch(statements) {
    const op = {
      kind: "batch",
      session: this.#bookmarkOrConstraint,
      stmts: statements.map((s) => ({ sql: s.statement, params: s.params })),
    };
    return (await this._run(op)).value;
  }

  getBookmark() {
    const value = this.#bookmarkOrConstraint;
    return value === FIRST_UNCONSTRAINED || value === FIRST_PRIMARY ? null : value;
  }

  /** Internal: runs an operation in this session and keeps the newest bookmark seen. */
  async _run(op) {
    const reply = await execute(this.#backend, { ...op, session: this.#bookmarkOrConstraint });
    if (this.#bookmarkOrConstraint !== null && typeof reply.bookmark === "string" && reply.bookmark.trim()) {
      const current = this.getBookmark();
      if (current === null || current.localeCompare(reply.bookmark) < 0) this.#bookmarkOrConstraint = reply.bookmark;
    }
    return reply;
  }
}

/** The session every D1Database call uses: always the primary, never a bookmark. */
class D1DatabaseSessionAlwaysPrimary extends D1DatabaseSession {
  constructor(backend) {
    super(backend, null);
  }

  getBookmark() {
    return null;
  }

  async exec(query) {
    return (await this._run({ kind: "exec", sql: query })).value;
  }
}

export class D1PreparedStatement {
  #session;

  constructor(session, statement, values) {
    this.#session = session;
    this.statement = statement;
    this.params = values || [];
  }

  bind(...values) {
    return new D1PreparedStatement(this.#session, this.statement, values.map(transformBindValue));
  }

  #op(kind, extra = {}) {
    return { kind, stmts: [{ sql: this.statement, params: this.params }], ...extra };
  }

  async first(colName) {
    const extra = colName !== undefined ? { colName } : {};
    return (await this.#session._run(this.#op("first", extra))).value;
  }

  async run() {
    return (await this.#session._run(this.#op("run"))).value;
  }

  async all() {
    return (await this.#session._run(this.#op("all"))).value;
  }

  async raw(options) {
    return (await this.#session._run(this.#op("raw", { options: { columnNames: Boolean(options?.columnNames) } })))
      .value;
  }
}

export class D1Database {
  #backend;
  #primary;

  /** backend: {client: D1BridgeClient, faults: FaultInjector | null} */
  constructor(backend) {
    this.#backend = backend;
    this.#primary = new D1DatabaseSessionAlwaysPrimary(backend);
  }

  prepare(query) {
    return new D1PreparedStatement(this.#primary, query);
  }

  async batch(statements) {
    return this.#primary.batch(statements);
  }

  async exec(query) {
    return this.#primary.exec(query);
  }

  withSession(constraintOrBookmark) {
    let value = constraintOrBookmark?.trim();
    if (value == null || value === "") value = FIRST_UNCONSTRAINED;
    return new D1DatabaseSession(this.#backend, value);
  }
}
