// A small 5-field cron matcher (UTC), enough for `[triggers] crons` in wrangler.toml.
//
// Fields: minute hour day-of-month month day-of-week. Each field is a comma list of
// `*`, `n`, `a-b`, `*/s`, `a-b/s` or `n/s` (n to the field's max, step s). Month and weekday
// names (JAN..DEC, SUN..SAT) are accepted, and weekday 7 means Sunday like 0.
// Day-of-month and day-of-week follow classic (Vixie) cron: when both are restricted
// (neither starts with `*`), a day matches if either matches.
// Cloudflare also accepts Quartz-style `L`, `W` and `#`; those are rejected here with a clear
// error so the caller can warn and skip the trigger instead of firing it at the wrong time.

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
    base: 1,
  },
  { name: "day-of-week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], base: 0 },
];

export class CronSyntaxError extends Error {
  name = "CronSyntaxError";
}

function parseValue(text, field, expr) {
  const upper = text.toUpperCase();
  if (field.names) {
    const index = field.names.indexOf(upper);
    if (index !== -1) return index + field.base;
  }
  if (!/^\d+$/.test(text)) {
    throw new CronSyntaxError(`cron "${expr}": ${field.name} value "${text}" is not supported`);
  }
  const value = Number(text);
  if (value < field.min || value > field.max) {
    throw new CronSyntaxError(`cron "${expr}": ${field.name} value ${value} is outside ${field.min}-${field.max}`);
  }
  return value;
}

function parseField(text, field, expr) {
  const values = new Set();
  for (const part of text.split(",")) {
    if (part === "") throw new CronSyntaxError(`cron "${expr}": empty item in ${field.name}`);
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined) throw new CronSyntaxError(`cron "${expr}": bad step in "${part}"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        throw new CronSyntaxError(`cron "${expr}": bad step "${stepText}" in ${field.name}`);
      }
      step = Number(stepText);
    }
    // Weekday 7 is only an alias of Sunday: `*` and `n/s` stop at Saturday.
    const top = field.name === "day-of-week" ? 6 : field.max;
    let low;
    let high;
    if (range === "*") {
      low = field.min;
      high = top;
    } else if (range.includes("-")) {
      const [a, b, more] = range.split("-");
      if (more !== undefined) throw new CronSyntaxError(`cron "${expr}": bad range "${range}"`);
      low = parseValue(a, field, expr);
      high = parseValue(b, field, expr);
      if (low > high) throw new CronSyntaxError(`cron "${expr}": range "${range}" is reversed`);
    } else {
      low = parseValue(range, field, expr);
      // `n/s` means "from n to the end of the field, every s" (as in Vixie cron).
      high = stepText !== undefined ? top : low;
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  if (field.name === "day-of-week" && values.has(7)) {
    values.delete(7);
    values.add(0);
  }
  return values;
}

/** Parses a 5-field cron expression; throws CronSyntaxError on anything unsupported. */
export function parseCron(expr) {
  if (typeof expr !== "string") throw new CronSyntaxError(`cron ${JSON.stringify(expr)} is not a string`);
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new CronSyntaxError(`cron "${expr}": expected 5 fields, got ${parts.length}`);
  }
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i], expr));
  return {
    expr,
    minute,
    hour,
    dom,
    month,
    dow,
    domRestricted: !parts[2].startsWith("*"),
    dowRestricted: !parts[4].startsWith("*"),
  };
}

/** True if the parsed cron fires at the (UTC) minute containing `date`. */
export function cronMatches(cron, date) {
  if (!cron.minute.has(date.getUTCMinutes())) return false;
  if (!cron.hour.has(date.getUTCHours())) return false;
  if (!cron.month.has(date.getUTCMonth() + 1)) return false;
  const domOk = cron.dom.has(date.getUTCDate());
  const dowOk = cron.dow.has(date.getUTCDay());
  if (cron.domRestricted && cron.dowRestricted) return domOk || dowOk;
  return domOk && dowOk;
}

/** The start of the next UTC minute strictly after `date` at which `cron` fires (searches a year+). */
export function nextCronTime(cron, date) {
  const t = new Date(date.getTime());
  t.setUTCSeconds(0, 0);
  for (let i = 0; i < 366 * 24 * 60 + 1; i++) {
    t.setUTCMinutes(t.getUTCMinutes() + 1);
    if (cronMatches(cron, t)) return t;
  }
  return null;
}

/**
 * Fires `run(expr, scheduledTime)` for every matching cron at each UTC minute boundary.
 * A cron whose previous run is still going is skipped for that tick (`onSkip`), so a slow
 * maintenance job never overlaps itself. Returns a stop() function.
 */
export function startCronScheduler(crons, { run, onSkip, now = () => Date.now() }) {
  const running = new Set();
  let timer = null;
  let stopped = false;
  function arm() {
    if (stopped) return;
    const t = now();
    const next = Math.floor(t / 60000) * 60000 + 60000;
    // A few ms late on purpose, so the tick lands inside the minute it is for.
    timer = setTimeout(() => tick(next), next - t + 5);
    timer.unref?.();
  }
  function tick(minuteStart) {
    const date = new Date(minuteStart);
    for (const cron of crons) {
      if (!cronMatches(cron, date)) continue;
      if (running.has(cron.expr)) {
        onSkip?.(cron.expr, minuteStart);
        continue;
      }
      running.add(cron.expr);
      Promise.resolve()
        .then(() => run(cron.expr, minuteStart))
        .catch(() => {})
        .finally(() => running.delete(cron.expr));
    }
    arm();
  }
  arm();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
