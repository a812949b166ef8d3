// `--cpu-timing`: the CPU each request costs the Worker, as a response header for `make bench`.
//
// Production bills a Worker the CPU time it runs, not the time it waits for D1. Here the
// Worker's Python runs on Node's main thread, and Node's thread pool does some of its work
// (Web Crypto digests), so a request is charged the CPU time of this whole process from the
// moment the handler is called until its Response is ready, less the CPU time spent while a D1
// call is in flight: from the moment its serialised operation is sent to the bridge until its
// answer's text arrives (d1.mjs). Binding and serialising the arguments and parsing the answer,
// which workerd's D1 client also does inside the isolate, stay on the request's bill.
// Measured per request only while it is the only one in flight (the benchmark sends one at a
// time); with several at once their CPU cannot be told apart and no figure is given.

export const CPU_HEADER = "x-runtime-cpu-ms";

const processCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

export class CpuMeter {
  #now;
  #requests = 0;
  #overlapped = false;
  #d1Calls = 0;
  #d1Started = 0;
  #excluded = 0;

  /** now(): the process CPU time in ms (injected in tests). */
  constructor(now = processCpuMs) {
    this.#now = now;
  }

  /** Runs `handler()` (the Worker's fetch); resolves to [its result, CPU ms or null]. */
  async measure(handler) {
    if (this.#requests++ > 0) this.#overlapped = true;
    else {
      this.#overlapped = false;
      this.#excluded = 0;
    }
    const started = this.#now();
    try {
      const result = await handler();
      const spent = this.#now() - started - this.#excluded;
      return [result, this.#overlapped ? null : Math.max(0, spent)];
    } finally {
      this.#requests--;
    }
  }

  /** Runs one D1 call (`call()` returns its promise); its CPU time is not the Worker's. */
  async d1(call) {
    if (this.#d1Calls++ === 0) this.#d1Started = this.#now();
    try {
      return await call();
    } finally {
      if (--this.#d1Calls === 0) this.#excluded += this.#now() - this.#d1Started;
    }
  }
}
