// Invoking the Worker's handlers for one event each: a fresh ctx per event, the event's
// waitUntil work kept track of (a request's runs on after its response is sent; a scheduled
// event lasts until its own is done), failures logged as workerd logs them.

import { ExecutionContext, ScheduledController } from "./execution-context.mjs";
import { errorText, logErr, settleWithin } from "./log.mjs";

export class WorkerInvoker {
  #python;
  #env;
  #onBackgroundError;
  #background = new Set(); // waitUntil work of finished requests

  /** python: what startPython returned; env: the Worker's env object. */
  constructor(python, env, onBackgroundError) {
    this.#python = python;
    this.#env = env;
    this.#onBackgroundError = onBackgroundError;
  }

  #track(ctx) {
    if (ctx.pending === 0) return;
    const done = ctx.settle().finally(() => this.#background.delete(done));
    this.#background.add(done);
  }

  /** Calls Default.fetch; resolves to its Response, or null (logged) if it threw. */
  async fetch(request, pathname) {
    const ctx = new ExecutionContext(this.#onBackgroundError);
    try {
      const response = await this.#python.fetch(request, this.#env, ctx);
      if (!(response instanceof Response)) {
        throw new TypeError("Incorrect type for Promise: the Promise did not resolve to 'Response'.");
      }
      return response;
    } catch (err) {
      logErr(`Uncaught exception in fetch (${request.method} ${pathname}): ${errorText(err)}`);
      return null;
    } finally {
      this.#track(ctx);
    }
  }

  /** Runs Default.scheduled and its waitUntil work; resolves to the first error, or null. */
  async scheduled(cron, scheduledTime) {
    const ctx = new ExecutionContext(this.#onBackgroundError);
    const controller = new ScheduledController(cron, scheduledTime);
    let error = null;
    try {
      await this.#python.scheduled(controller, this.#env, ctx);
    } catch (err) {
      error = err;
      logErr(`Uncaught exception in scheduled(${JSON.stringify(cron)}): ${errorText(err)}`);
    }
    // The event lasts until its waitUntil work is done, as with workerd's scheduled events.
    const results = await ctx.settle();
    if (!error) error = results.find((r) => !r.ok)?.error ?? null;
    return error;
  }

  /** Requests whose waitUntil work is still running. */
  get backgroundCount() {
    return this.#background.size;
  }

  /** Gives waitUntil work up to `ms` to finish, as workerd would before tearing down. */
  drain(ms) {
    return settleWithin(Promise.allSettled([...this.#background]), ms);
  }
}
