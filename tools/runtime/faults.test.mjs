import assert from "node:assert/strict";
import { test } from "node:test";
import { FaultError, FaultInjector, parseFaultEnv, parseFaultSetting } from "./faults.mjs";

test("settings are validated", () => {
  assert.deepEqual(parseFaultSetting({}), { rate: 0, fail_nth: [], lose_rate: 0, lose_nth: [] });
  assert.deepEqual(parseFaultSetting({ rate: 0.5, fail_nth: [3, 1, 3] }), {
    rate: 0.5,
    fail_nth: [1, 3],
    lose_rate: 0,
    lose_nth: [],
  });
  assert.deepEqual(parseFaultSetting({ lose_rate: 0.25, lose_nth: [2] }), {
    rate: 0,
    fail_nth: [],
    lose_rate: 0.25,
    lose_nth: [2],
  });
  for (const bad of [
    null,
    [],
    { rate: 2 },
    { rate: "0.1" },
    { fail_nth: [0] },
    { fail_nth: 3 },
    { other: 1 },
    { lose_rate: -1 },
    { lose_nth: [1.5] },
  ]) {
    assert.throws(() => parseFaultSetting(bad), FaultError, JSON.stringify(bad));
  }
});

test("the environment variable takes JSON or a bare rate", () => {
  assert.deepEqual(parseFaultEnv(undefined), { rate: 0, fail_nth: [], lose_rate: 0, lose_nth: [] });
  assert.deepEqual(parseFaultEnv("0.25"), { rate: 0.25, fail_nth: [], lose_rate: 0, lose_nth: [] });
  assert.deepEqual(parseFaultEnv('{"fail_nth": [2]}'), { rate: 0, fail_nth: [2], lose_rate: 0, lose_nth: [] });
  assert.throws(() => parseFaultEnv("nope"), FaultError);
});

test("fail_nth counts calls from the moment it is set", () => {
  const faults = new FaultInjector();
  assert.equal(faults.decide(), null);
  faults.set(parseFaultSetting({ fail_nth: [1, 3], lose_nth: [2, 3] }));
  assert.deepEqual(
    [1, 2, 3, 4].map(() => faults.decide()),
    ["fail", "lose", "fail", null],
  );
  assert.deepEqual(faults.status(), {
    ...parseFaultSetting({ fail_nth: [1, 3], lose_nth: [2, 3] }),
    calls: 4,
    failed: 2,
    lost: 1,
  });
});

test("rates use the random source, failing before losing", () => {
  const values = [0.1, 0.9, 0.1, 0.9, 0.9];
  const faults = new FaultInjector(parseFaultSetting({ rate: 0.5, lose_rate: 0.5 }), () => values.shift());
  assert.deepEqual([faults.decide(), faults.decide(), faults.decide()], ["fail", "lose", null]);
});
