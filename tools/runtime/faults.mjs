// D1 fault injection for the reliability tests: makes the app's D1 calls fail the way an
// overloaded D1 does. Only the app's calls consult it; the /__runtime/* routes never do.

export const OVERLOADED = "D1 DB is overloaded. Requests queued for too long.";

export class FaultError extends Error {
  name = "FaultError";
}

// Two kinds of failure, chosen per call:
//   fail  (rate, fail_nth)       the call fails before it runs: nothing happened
//   lose  (lose_rate, lose_nth)  the call runs (a write commits), then its answer is lost and
//                                the same error is thrown: the app cannot tell it from `fail`
const FIELDS = ["rate", "fail_nth", "lose_rate", "lose_nth"];

function parseRate(value, name) {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new FaultError(`"${name}" must be a number from 0.0 to 1.0`);
  }
  return value;
}

function parseNth(value, name) {
  if (!Array.isArray(value) || value.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new FaultError(`"${name}" must be a list of positive integers (1 = next call)`);
  }
  return [...new Set(value)].sort((a, b) => a - b);
}

/** Validates a setting: `{}` (none), or any of `{rate, fail_nth, lose_rate, lose_nth}`. */
export function parseFaultSetting(value) {
  if (typeof value === "number") value = { rate: value };
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new FaultError('expected an object like {"rate": 0.1} or {"fail_nth": [1, 3]}');
  }
  const unknown = Object.keys(value).filter((k) => !FIELDS.includes(k));
  if (unknown.length) throw new FaultError(`unknown field(s): ${unknown.join(", ")}`);
  return {
    rate: value.rate === undefined ? 0 : parseRate(value.rate, "rate"),
    fail_nth: value.fail_nth === undefined ? [] : parseNth(value.fail_nth, "fail_nth"),
    lose_rate: value.lose_rate === undefined ? 0 : parseRate(value.lose_rate, "lose_rate"),
    lose_nth: value.lose_nth === undefined ? [] : parseNth(value.lose_nth, "lose_nth"),
  };
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
  constructor(setting = parseFaultSetting({}), random = Math.random) {
    this.random = random;
    this.set(setting);
  }

  /** Replaces the setting and restarts the call counter. */
  set(setting) {
    this.setting = setting;
    this.failNth = new Set(setting.fail_nth);
    this.loseNth = new Set(setting.lose_nth);
    this.calls = 0;
    this.failed = 0;
    this.lost = 0;
  }

  /** Counts one D1 call: "fail" (fail it before it runs), "lose" (run it, then fail), or null. */
  decide() {
    this.calls += 1;
    const { rate, lose_rate: loseRate } = this.setting;
    if (this.failNth.has(this.calls) || (rate > 0 && this.random() < rate)) {
      this.failed += 1;
      return "fail";
    }
    if (this.loseNth.has(this.calls) || (loseRate > 0 && this.random() < loseRate)) {
      this.lost += 1;
      return "lose";
    }
    return null;
  }

  status() {
    return { ...this.setting, calls: this.calls, failed: this.failed, lost: this.lost };
  }
}
