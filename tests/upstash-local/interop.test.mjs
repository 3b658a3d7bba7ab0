// One limit, two libraries: the real @upstash/ratelimit and edgecache's
// Upstash-compatible limiter (the `ratelimit_peer` example, a Rust process)
// share one Redis through upstash-local, with the same keys
// (`@upstash/ratelimit:<identifier>:<window>`), and together never admit
// more than the one limit.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { Redis } from "@upstash/redis";
import { Ratelimit } from "@upstash/ratelimit";
import { ROOT, awayFromWindowEdge, unique, useLocal } from "./local.mjs";

const PEER = process.env.RATELIMIT_PEER_BIN ?? path.join(ROOT, "target/debug/examples/ratelimit_peer");
const LIMIT = 10;
const WINDOW_MS = 60_000;

let local;
let redis;
useLocal((started) => ({ local, redis } = started));

/** edgecache's limiter in a process of its own: `check(identifier)` answers its decision. */
async function startPeer(algorithm) {
  if (!existsSync(PEER)) {
    throw new Error(`${PEER} is missing: build it (\`cargo build --example ratelimit_peer\`, or \`npm test\`)`);
  }
  const child = spawn(PEER, [algorithm, String(LIMIT), String(WINDOW_MS)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, UPSTASH_REDIS_REST_URL: local.url, UPSTASH_REDIS_REST_TOKEN: local.token },
  });
  const lines = createInterface({ input: child.stdout });
  const pending = new Map();
  let ready;
  const isReady = new Promise((resolve) => (ready = resolve));
  lines.on("line", (line) => {
    if (line === "ready") return ready();
    const answer = JSON.parse(line);
    pending.get(answer.id)?.(answer);
    pending.delete(answer.id);
  });
  await isReady;
  let next = 0;
  return {
    check(identifier) {
      const id = String(next++);
      const answered = new Promise((resolve) => pending.set(id, resolve));
      child.stdin.write(`${id} ${identifier}\n`);
      return answered;
    },
    async stop() {
      const exited = once(child, "exit");
      child.stdin.end();
      await exited;
    },
  };
}

/**
 * The JS side, as an application would set it up, with the default prefix
 * edgecache's limiter uses too; `{ batched: false }` turns auto-pipelining
 * off, so that concurrent checks go one request each and interleave with
 * the Rust side's in Redis.
 */
function jsLimiter(algorithm, { batched = true } = {}) {
  const limiter =
    algorithm === "fixed" ? Ratelimit.fixedWindow(LIMIT, `${WINDOW_MS} ms`) : Ratelimit.slidingWindow(LIMIT, `${WINDOW_MS} ms`);
  const client = batched ? redis : new Redis({ url: local.url, token: local.token, enableAutoPipelining: false });
  return new Ratelimit({ redis: client, limiter, ephemeralCache: false, timeout: 0 });
}

/**
 * Whether Redis decided `result` (a JS or Rust answer). Only Redis may
 * admit: the one answer allowed without it is edgecache's block cache
 * refusing an identifier Redis just refused.
 */
function fromRedis(result) {
  assert.ok(result.error === undefined, `the peer failed: ${result.error}`);
  if (result.reason === "cache_block") {
    assert.equal(result.success, false);
    return false;
  }
  assert.ok(result.reason === undefined || result.reason === "none", `decided without Redis: ${JSON.stringify(result)}`);
  return true;
}

/** How many of `results` were admitted. */
function admitted(results) {
  results.forEach(fromRedis);
  return results.filter((r) => r.success).length;
}

describe("@upstash/ratelimit and edgecache's compatible limiter share one limit", () => {
  for (const algorithm of ["fixed", "sliding"]) {
    test(`${algorithm} window: taking turns, each sees the other's requests`, async () => {
      await awayFromWindowEdge(WINDOW_MS);
      const [js, rust] = [jsLimiter(algorithm), await startPeer(algorithm)];
      try {
        const identifier = unique(`turns-${algorithm}`);
        let counted = 0;
        const turn = async (side) => {
          const results = [];
          for (let i = 0; i < 3; i++) results.push(await side(identifier));
          counted += results.filter(fromRedis).length;
          return admitted(results);
        };
        const jsTurn = () => turn((id) => js.limit(id));
        const rustTurn = () => turn((id) => rust.check(id));
        // 3 + 3 + 3 + 1 = the limit of 10, then nothing for either.
        assert.deepEqual([await jsTurn(), await rustTurn(), await jsTurn(), await rustTurn()], [3, 3, 3, 1]);
        assert.equal(await jsTurn(), 0);
        assert.equal(await rustTurn(), 0);

        const key = `@upstash/ratelimit:${identifier}:${Math.floor(Date.now() / WINDOW_MS)}`;
        // The fixed window counts the refusals Redis made too (in both
        // libraries); the sliding one does not.
        const expected = algorithm === "fixed" ? counted : LIMIT;
        assert.equal(await local.command("GET", key), String(expected), "one counter, in the JS library's key");
      } finally {
        await rust.stop();
      }
    });

    test(`${algorithm} window: concurrent checks from both admit the limit, no more`, async () => {
      await awayFromWindowEdge(WINDOW_MS);
      const [js, rust] = [jsLimiter(algorithm, { batched: false }), await startPeer(algorithm)];
      try {
        const identifier = unique(`burst-${algorithm}`);
        // Rounds of 3 + 3 checks at once: the first round (6 < 10) is
        // admitted whole, so both sides take part; the rest race for what
        // is left.
        const [byJs, byRust] = [[], []];
        for (let round = 0; round < 5; round++) {
          const [fromJs, fromRust] = await Promise.all([
            Promise.all(Array.from({ length: 3 }, () => js.limit(identifier))),
            Promise.all(Array.from({ length: 3 }, () => rust.check(identifier))),
          ]);
          byJs.push(admitted(fromJs));
          byRust.push(admitted(fromRust));
        }
        const sum = (counts) => counts.reduce((a, b) => a + b, 0);
        assert.deepEqual([byJs[0], byRust[0]], [3, 3], "the first round fits the limit");
        assert.equal(sum(byJs) + sum(byRust), LIMIT, `JS admitted ${byJs}, Rust ${byRust} (per round)`);
      } finally {
        await rust.stop();
      }
    });
  }
});
