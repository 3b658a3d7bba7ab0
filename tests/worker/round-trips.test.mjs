// The REST round trips a request costs, as `npm run bench` reports them: the
// part of the bench that is not noisy, so checked here. A cached GET 1 (its
// limit checks and its read in one /pipeline), a miss 2 (that, then the
// fenced write-back), a write 2 (the limit checks, then its invalidation:
// new versions, in one MULTI/EXEC when more than one). The authenticated
// cached GET (1) is security.test.mjs's.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NO_FLUSH, POLICY, putJson, useWorker, within } from "./harness.mjs";

const policy = (tenant) => `/v1/tenants/${tenant}/policy`;

/** Round trips `send` cost, counted once the worker's background work (waitUntil) has settled. */
async function roundTrips(upstash, send) {
  await upstash.resetRequests();
  const response = await send();
  await response.arrayBuffer();
  let last = -1;
  await within(5_000, "the round trips settle", async () => {
    const now = await upstash.requests();
    const settled = now === last; // unchanged across one of within()'s 100 ms polls
    last = now;
    return settled;
  });
  return { response, trips: last };
}

describe("round trips per request", () => {
  // L1 off: every read below goes to Upstash, as from an isolate that has not seen the key.
  const suite = useWorker({ ...NO_FLUSH, CACHE_L1_MAX_STALENESS_MS: "0" });

  test("a cached GET costs 1: its limits and its read in one /pipeline", async () => {
    await putJson(suite.worker, policy("rt-hit"), POLICY);
    await (await suite.worker.fetch(policy("rt-hit"))).arrayBuffer(); // cached now
    const { response, trips } = await roundTrips(suite.upstash, () => suite.worker.fetch(policy("rt-hit")));
    assert.equal(response.headers.get("x-cache"), "hit");
    assert.equal(trips, 1);
  });

  test("a miss costs 2: limits and read, then the fenced write-back", async () => {
    await putJson(suite.worker, policy("rt-miss"), POLICY); // the write invalidated: the next GET misses
    const { response, trips } = await roundTrips(suite.upstash, () => suite.worker.fetch(policy("rt-miss")));
    assert.equal(response.headers.get("x-cache"), "miss");
    assert.equal(trips, 2);
  });

  test("a write costs 2: its limits, then its invalidation", async () => {
    await putJson(suite.worker, policy("rt-write"), POLICY);
    const { response, trips } = await roundTrips(suite.upstash, () => putJson(suite.worker, policy("rt-write"), { ...POLICY, maxTokensPerRequest: 77 }));
    assert.equal(response.status, 200);
    assert.equal(trips, 2);
  });
});
