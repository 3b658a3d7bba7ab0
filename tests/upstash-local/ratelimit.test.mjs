// The real @upstash/ratelimit (2.x, whose scripts start `#!lua
// flags=allow-key-locking`, which Redis alone refuses) against upstash-local:
// fixedWindow, slidingWindow and tokenBucket each admit exactly their limit
// out of a concurrent burst, never more.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Ratelimit } from "@upstash/ratelimit";
import { awayFromWindowEdge, unique, useLocal } from "./local.mjs";

const LIMIT = 5;
const WINDOW = "30 s";
const WINDOW_MS = 30_000;
const BURST = 25;

let local;
let redis;
useLocal((started) => ({ local, redis } = started));

/** A limiter as an application would make one, without the in-memory block cache or the timeout that admits. */
function ratelimit(limiter) {
  return new Ratelimit({ redis, limiter, prefix: unique("rl"), ephemeralCache: false, timeout: 0 });
}

/** Sends `count` checks for `identifier` at once; answers the results. */
async function burst(limiter, identifier, count = BURST) {
  return Promise.all(Array.from({ length: count }, () => limiter.limit(identifier)));
}

describe("@upstash/ratelimit over upstash-local", () => {
  for (const [name, make] of [
    ["fixedWindow", () => Ratelimit.fixedWindow(LIMIT, WINDOW)],
    ["slidingWindow", () => Ratelimit.slidingWindow(LIMIT, WINDOW)],
    ["tokenBucket", () => Ratelimit.tokenBucket(LIMIT, WINDOW, LIMIT)],
  ]) {
    test(`${name}: a concurrent burst of ${BURST} admits exactly ${LIMIT}`, async () => {
      await awayFromWindowEdge(WINDOW_MS);
      const limiter = ratelimit(make());
      const identifier = unique("user");
      const results = await burst(limiter, identifier);
      const admitted = results.filter((r) => r.success);
      assert.equal(admitted.length, LIMIT, JSON.stringify(results.map((r) => [r.success, r.remaining, r.reason])));
      assert.deepEqual(
        admitted.map((r) => r.remaining).sort((x, y) => x - y),
        [...Array(LIMIT).keys()],
        "each admitted request saw the count it left",
      );
      assert.ok(results.every((r) => r.limit === LIMIT && r.reset > Date.now() - 1000));
      assert.equal((await limiter.limit(identifier)).success, false, "still refused after the burst");
      assert.equal((await limiter.getRemaining(identifier)).remaining, 0);

      await limiter.resetUsedTokens(identifier);
      assert.equal((await limiter.limit(identifier)).success, true, "admitted again after a reset");
      const other = await limiter.limit(unique("other-user"));
      assert.equal(other.success, true, "identifiers are limited apart");
    });
  }

  test("a cost (rate) counts as that many requests", async () => {
    await awayFromWindowEdge(WINDOW_MS);
    const limiter = ratelimit(Ratelimit.fixedWindow(LIMIT, WINDOW));
    const identifier = unique("costly");
    assert.equal((await limiter.limit(identifier, { rate: 3 })).success, true);
    assert.equal((await limiter.limit(identifier, { rate: 3 })).success, false);
    assert.equal((await limiter.limit(identifier, { rate: 0 })).success, false, "a check sees the window spent");
  });

  test("the three algorithms side by side on one Redis, concurrently", async () => {
    await awayFromWindowEdge(WINDOW_MS);
    const limiters = [
      ratelimit(Ratelimit.fixedWindow(LIMIT, WINDOW)),
      ratelimit(Ratelimit.slidingWindow(LIMIT, WINDOW)),
      ratelimit(Ratelimit.tokenBucket(LIMIT, WINDOW, LIMIT)),
    ];
    const identifier = unique("shared-name");
    const bursts = await Promise.all(limiters.map((limiter) => burst(limiter, identifier)));
    assert.deepEqual(
      bursts.map((results) => results.filter((r) => r.success).length),
      [LIMIT, LIMIT, LIMIT],
    );
  });
});
