import assert from "node:assert/strict";
import { test } from "node:test";
import { CpuMeter } from "./cpu.mjs";

function clock() {
  const state = { ms: 0 };
  return { state, now: () => state.ms };
}

test("a request is charged its CPU less the time its D1 calls were in flight", async () => {
  const { state, now } = clock();
  const meter = new CpuMeter(now);
  const [result, ms] = await meter.measure(async () => {
    state.ms += 3;
    await meter.d1(async () => (state.ms += 10));
    state.ms += 2;
    await meter.d1(async () => (state.ms += 5));
    state.ms += 1;
    return "answer";
  });
  assert.equal(result, "answer");
  assert.equal(ms, 6);
});

test("overlapping D1 calls are excluded once", async () => {
  const { state, now } = clock();
  const meter = new CpuMeter(now);
  const [, ms] = await meter.measure(async () => {
    state.ms += 1;
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    const first = meter.d1(async () => {
      state.ms += 4;
      await gate;
    });
    const second = meter.d1(async () => {
      state.ms += 4;
      release();
    });
    await Promise.all([first, second]);
    state.ms += 2;
  });
  assert.equal(ms, 3);
});

test("no figure while another request is in flight; the next lone request is measured afresh", async () => {
  const { state, now } = clock();
  const meter = new CpuMeter(now);
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  const slow = meter.measure(async () => {
    state.ms += 1;
    await meter.d1(() => gate);
  });
  const [, fast] = await meter.measure(async () => (state.ms += 1));
  release();
  const [, slowMs] = await slow;
  assert.equal(fast, null);
  assert.equal(slowMs, null);
  const [, alone] = await meter.measure(async () => (state.ms += 7));
  assert.equal(alone, 7);
});

test("a failing handler still leaves the meter usable", async () => {
  const { state, now } = clock();
  const meter = new CpuMeter(now);
  await assert.rejects(
    meter.measure(async () => {
      throw new Error("boom");
    }),
  );
  const [, ms] = await meter.measure(async () => (state.ms += 2));
  assert.equal(ms, 2);
});
