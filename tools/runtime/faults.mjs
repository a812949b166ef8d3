// D1 fault injection for the reliability tests: makes the app's D1 calls fail the way an
// overloaded D1 does. Only the app's calls consult it; the /__runtime/* routes never do.

export const OVERLOADED = "D1 DB is overloaded. Requests queued for too long.";

export class FaultError extends Error {
  name = "FaultError";
}

/** Validates a setting: `{}` (none), `{rate: 0..1}`, `{fail_nth: [n, ...]}` or both. */
export function parseFaultSetting(value) {
  if (typeof value === "number") value = { rate: value };
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new FaultError('expected an object like {"rate": 0.1} or {"fail_nth": [1, 3]}');
  }
  const unknown = Object.keys(value).filter((k) => k !== "rate" && k !== "fail_nth");
  if (unknown.length) throw new FaultError(`unknown field(s): ${unknown.join(", ")}`);
  const setting = { rate: 0, fail_nth: [] };
  if (value.rate !== undefined) {
    if (typeof value.rate !== "number" || !(value.rate >= 0 && value.rate <= 1)) {
      throw new FaultError('"rate" must be a number from 0.0 to 1.0');
    }
    setting.rate = value.rate;
  }
  if (value.fail_nth !== undefined) {
    if (!Array.isArray(value.fail_nth) || value.fail_nth.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new FaultError('"fail_nth" must be a list of positive integers (1 = next call)');
    }
    setting.fail_nth = [...new Set(value.fail_nth)].sort((a, b) => a - b);
  }
  return setting;
}

/** Parses EDGEJOBS_D1_FAULTS: JSON setting, or a bare number meaning a rate. */
export function parseFaultEnv(text) {
  if (text === undefined || text.trim() === "") return parseFaultSetting({});
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FaultError(`EDGEJOBS_D1_FAULTS is not JSON: ${text}`);
  }
  return parseFaultSetting(value);
}

export class FaultInjector {
  constructor(setting = { rate: 0, fail_nth: [] }, random = Math.random) {
    this.random = random;
    this.set(setting);
  }

  /** Replaces the setting and restarts the call counter. */
  set(setting) {
    this.setting = setting;
    this.failNth = new Set(setting.fail_nth);
    this.calls = 0;
    this.failed = 0;
  }

  /** Counts one D1 call; true if it must fail. */
  shouldFail() {
    this.calls += 1;
    const fail = this.failNth.has(this.calls) || (this.setting.rate > 0 && this.random() < this.setting.rate);
    if (fail) this.failed += 1;
    return fail;
  }

  status() {
    return { rate: this.setting.rate, fail_nth: this.setting.fail_nth, calls: this.calls, failed: this.failed };
  }
}
