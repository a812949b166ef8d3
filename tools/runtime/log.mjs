// The runtime's own diagnostics go to stderr; stdout carries the ready marker and the Worker's
// output.

export const logErr = (line) => process.stderr.write(`${line}\n`);
export const logOut = (line) => process.stdout.write(`${line}\n`);

export const errorText = (err) => (err instanceof Error ? err.message || String(err) : String(err));

/** Resolves when `promise` settles or after `ms`, whichever comes first (never rejects). */
export const settleWithin = (promise, ms) =>
  Promise.race([Promise.resolve(promise).catch(() => {}), new Promise((resolve) => setTimeout(resolve, ms))]);
