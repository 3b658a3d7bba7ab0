// scripts/front-redis-url.sh, which `npm run dev` and `npm test` source: a
// redis:// REDIS_URL (the TypeScript setups' local default) is served through
// upstash-local, and the worker pointed at it; the URL never reaches argv.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ROOT } from "./local.mjs";

const run = promisify(execFile);
// The Redis `npm test` uses: REDIS_URL when it is redis://, else the one on 6379.
const REDIS = /^redis:\/\//.test(process.env.REDIS_URL ?? "") ? process.env.REDIS_URL : "redis://127.0.0.1:6379";

/** Sources the script with `env`, runs `then` in the same shell; answers stdout, stderr and the exit code. */
async function front(env, then) {
  const script = `source scripts/front-redis-url.sh && front_redis_url && ${then}`;
  try {
    const { stdout, stderr } = await run("bash", ["-c", script], { cwd: ROOT, env: { ...process.env, ...env } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    return { stdout: error.stdout, stderr: error.stderr, code: error.code };
  }
}

describe("REDIS_URL=redis://… in development", () => {
  test("upstash-local serves it over REST, says so, and keeps the URL off the command line", async () => {
    const env = { REDIS_URL: REDIS, UPSTASH_REDIS_REST_URL: "" };
    const show = 'echo "URL=$UPSTASH_REDIS_REST_URL"; echo "TOKEN=$UPSTASH_REDIS_REST_TOKEN"; echo "REDIS_URL=${REDIS_URL:-unset}"; echo "ARGS=$(ps -o args= -p "$FRONT_REDIS_PID")"; curl -s -H "Authorization: Bearer $UPSTASH_REDIS_REST_TOKEN" "$UPSTASH_REDIS_REST_URL/ping"';
    const { stdout, code } = await front(env, show);
    assert.equal(code, 0, stdout);
    const field = (name) => new RegExp(`^${name}=(.*)$`, "m").exec(stdout)?.[1];
    assert.match(field("URL"), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(field("TOKEN").length >= 16);
    assert.equal(field("REDIS_URL"), "unset", "the worker gets the REST address instead");
    assert.doesNotMatch(field("ARGS"), /redis:\/\//, "the Redis URL (which may hold a password) is not in argv");
    assert.match(stdout, /\[redis\] REDIS_URL is a redis:\/\/ URL/);
    assert.match(stdout, /\{"result":"PONG"\}/);
  });

  test("rediss:// and a second URL are refused with what to do", async () => {
    const tls = await front({ REDIS_URL: "rediss://:secret@example.com:6379" }, "true");
    assert.notEqual(tls.code, 0);
    assert.match(tls.stderr, /TLS/);
    assert.doesNotMatch(tls.stderr, /secret/);
    const both = await front({ REDIS_URL: REDIS, UPSTASH_REDIS_REST_URL: "https://x.upstash.io" }, "true");
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /unset one of them/);
  });

  test("any other REDIS_URL is left alone", async () => {
    const { stdout, code } = await front({ REDIS_URL: "https://x.upstash.io" }, 'echo "REDIS_URL=$REDIS_URL"');
    assert.equal(code, 0);
    assert.match(stdout, /^REDIS_URL=https:\/\/x\.upstash\.io$/m);
  });
});
