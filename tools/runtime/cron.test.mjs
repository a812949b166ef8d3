import assert from "node:assert/strict";
import { test } from "node:test";
import { CronSyntaxError, cronMatches, nextCronTime, parseCron, startCronScheduler } from "./cron.mjs";

const at = (iso) => new Date(iso);

test("every minute matches any minute", () => {
  const cron = parseCron("* * * * *");
  assert.ok(cronMatches(cron, at("2026-11-22T07:08:00Z")));
  assert.ok(cronMatches(cron, at("2026-01-01T00:00:59Z")));
});

test("steps, ranges and lists", () => {
  const every5 = parseCron("*/5 * * * *");
  assert.ok(cronMatches(every5, at("2026-11-22T07:10:00Z")));
  assert.ok(!cronMatches(every5, at("2026-11-22T07:08:00Z")));
  const office = parseCron("0,30 9-17/2 * * *");
  assert.ok(cronMatches(office, at("2026-11-22T09:30:00Z")));
  assert.ok(cronMatches(office, at("2026-11-22T17:00:00Z")));
  assert.ok(!cronMatches(office, at("2026-11-22T10:00:00Z")));
  const from10 = parseCron("10/20 * * * *");
  assert.deepEqual([...from10.minute], [10, 30, 50]);
});

test("times are UTC", () => {
  const cron = parseCron("0 3 * * *");
  assert.ok(cronMatches(cron, at("2026-11-22T03:00:00Z")));
  assert.ok(!cronMatches(cron, at("2026-11-22T03:00:00+01:00")));
});

test("names and Sunday as 0 or 7", () => {
  const weekdays = parseCron("0 12 * JAN-MAR mon-fri");
  assert.ok(cronMatches(weekdays, at("2026-02-02T12:00:00Z"))); // Monday
  assert.ok(!cronMatches(weekdays, at("2026-02-01T12:00:00Z"))); // Sunday
  assert.ok(!cronMatches(weekdays, at("2026-04-06T12:00:00Z"))); // April
  for (const expr of ["0 0 * * 0", "0 0 * * 7", "0 0 * * SUN"]) {
    assert.ok(cronMatches(parseCron(expr), at("2026-11-22T00:00:00Z")), expr); // a Sunday
  }
});

test("day-of-month and day-of-week: either matches when both are restricted", () => {
  const cron = parseCron("0 0 1 * MON");
  assert.ok(cronMatches(cron, at("2026-12-01T00:00:00Z"))); // the 1st, a Tuesday
  assert.ok(cronMatches(cron, at("2026-11-23T00:00:00Z"))); // a Monday
  assert.ok(!cronMatches(cron, at("2026-11-24T00:00:00Z")));
  const onlyDom = parseCron("0 0 1 * *");
  assert.ok(!cronMatches(onlyDom, at("2026-11-23T00:00:00Z")));
});

test("next fire time", () => {
  const cron = parseCron("*/5 * * * *");
  assert.equal(nextCronTime(cron, at("2026-11-22T07:08:30Z")).toISOString(), "2026-11-22T07:10:00.000Z");
  assert.equal(nextCronTime(cron, at("2026-11-22T07:10:00Z")).toISOString(), "2026-11-22T07:15:00.000Z");
});

test("rejects what it does not support", () => {
  for (const expr of [
    "* * * *",
    "60 * * * *",
    "* 24 * * *",
    "0 0 L * *",
    "0 0 * * 1#2",
    "*/0 * * * *",
    "5-1 * * * *",
    "a * * * *",
    "1,,2 * * * *",
  ]) {
    assert.throws(() => parseCron(expr), CronSyntaxError, expr);
  }
});

test("the scheduler fires on minute boundaries and skips a cron still running", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let clock = Date.parse("2026-11-22T07:08:30Z");
  const runs = [];
  const skips = [];
  let finish;
  const stop = startCronScheduler([parseCron("* * * * *"), parseCron("*/5 * * * *")], {
    now: () => clock,
    run: (expr, time) => {
      runs.push([expr, new Date(time).toISOString()]);
      if (expr === "* * * * *") return new Promise((resolve) => (finish = resolve));
    },
    onSkip: (expr, time) => skips.push([expr, new Date(time).toISOString()]),
  });
  const advance = async (ms) => {
    clock += ms;
    t.mock.timers.tick(ms);
    await new Promise((resolve) => setImmediate(resolve));
  };
  await advance(30_005); // 07:09
  await advance(60_000); // 07:10: the every-minute run from 07:09 is still going
  finish();
  await new Promise((resolve) => setImmediate(resolve)); // let the run settle
  await advance(60_000); // 07:11
  stop();
  assert.deepEqual(runs, [
    ["* * * * *", "2026-11-22T07:09:00.000Z"],
    ["*/5 * * * *", "2026-11-22T07:10:00.000Z"],
    ["* * * * *", "2026-11-22T07:11:00.000Z"],
  ]);
  assert.deepEqual(skips, [["* * * * *", "2026-11-22T07:10:00.000Z"]]);
});
