// The per-event objects a handler gets: `ctx` (ExecutionContext) and, for cron triggers, the
// `controller` (ScheduledController), shaped like workerd's.

const waitUntilPatched = new WeakSet();

/**
 * workerd's patchWaitUntil: a Python awaitable handed to waitUntil is a borrowed PyProxy that
 * dies when the call returns, so keep a copy and await it (which schedules the coroutine).
 */
export function patchWaitUntil(ctx) {
  let tag;
  try {
    tag = Object.prototype.toString.call(ctx);
  } catch {}
  if (tag !== "[object ExecutionContext]" || waitUntilPatched.has(ctx)) return;
  const origWaitUntil = ctx.waitUntil.bind(ctx);
  ctx.waitUntil = function waitUntil(p) {
    origWaitUntil(
      (async function () {
        if ("copy" in p) p = p.copy();
        await p;
        if ("destroy" in p) p.destroy();
      })(),
    );
  };
  waitUntilPatched.add(ctx);
}

/**
 * The per-event `ctx`. waitUntil promises are collected so that scheduled events can await
 * them and shutdown can wait briefly for them; their failures are logged like workerd's
 * "Uncaught (in promise)".
 */
export class ExecutionContext {
  #promises = [];
  #onError;

  constructor(onError) {
    this.#onError = onError;
    this.props = {};
  }

  get [Symbol.toStringTag]() {
    return "ExecutionContext";
  }

  waitUntil(promise) {
    // Like workerd, any value is accepted and treated as a promise of it.
    const settled = Promise.resolve(promise).then(
      () => ({ ok: true }),
      (error) => {
        this.#onError(error);
        return { ok: false, error };
      },
    );
    this.#promises.push(settled);
  }

  passThroughOnException() {}

  /** Waits for every waitUntil promise, including ones added while waiting. */
  async settle() {
    const results = [];
    for (let seen = 0; seen < this.#promises.length;) {
      const batch = this.#promises.slice(seen);
      seen += batch.length;
      results.push(...(await Promise.all(batch)));
    }
    return results;
  }

  get pending() {
    return this.#promises.length;
  }
}

/** `controller` for scheduled(): the fields of workerd's ScheduledController. */
export class ScheduledController {
  constructor(cron, scheduledTime) {
    this.cron = cron;
    this.scheduledTime = scheduledTime;
    this.type = "scheduled";
  }

  noRetry() {}
}
