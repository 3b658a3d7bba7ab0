// Starts what the upstash-local suites drive: a redis-server of their own
// (`upstash-local own-redis`, the launcher every suite uses) and the
// upstash-local binary in front of it, with random tokens passed in the
// environment (never on the command line, where `ps` shows them).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { after, before } from "node:test";
import { Redis } from "@upstash/redis";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const UPSTASH_LOCAL = process.env.UPSTASH_LOCAL_BIN ?? path.join(ROOT, "target/debug/upstash-local");

let counter = 0;
/** A name no other test (or run) uses. */
export function unique(name) {
  return `${name}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Resolves with the first match of `pattern` in `child`'s standard output. */
function firstMatch(child, pattern, what) {
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = pattern.exec(seen);
      if (match) resolve(match[1]);
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${what} exited with ${code}: ${seen}`)));
  });
}

async function stop(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  await exited;
}

/**
 * A redis-server of the suite's own and upstash-local in front of it:
 * `{ url, token, readOnlyToken, redisUrl, stop() }`.
 */
export async function startLocal() {
  if (!existsSync(UPSTASH_LOCAL)) {
    throw new Error(`${UPSTASH_LOCAL} is missing: build it (\`cargo build -p upstash-local\`, or \`npm test\`)`);
  }
  const redis = spawn(UPSTASH_LOCAL, ["own-redis"], { stdio: ["pipe", "pipe", "inherit"] });
  const redisUrl = await firstMatch(redis, /^redis listening on (redis:\/\/\S+)\n/, "upstash-local own-redis");
  const token = `full-${randomBytes(18).toString("base64url")}`;
  const readOnlyToken = `read-only-${randomBytes(18).toString("base64url")}`;
  const server = spawn(UPSTASH_LOCAL, ["--listen", "127.0.0.1:0", "--redis-url", redisUrl], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, UPSTASH_LOCAL_TOKEN: token, UPSTASH_LOCAL_READ_ONLY_TOKEN: readOnlyToken },
  });
  const url = await firstMatch(server, /listening on (http:\/\/\S+)/, "upstash-local");
  return {
    url,
    token,
    readOnlyToken,
    redisUrl,
    /** Runs one command through the REST API with the full token. */
    async command(...args) {
      const response = await fetch(`${url}/`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(args),
      });
      const body = await response.json();
      if (body.error) throw new Error(body.error);
      return body.result;
    },
    async stop() {
      await stop(server, "SIGTERM");
      await stop(redis, "SIGTERM");
    },
  };
}

/** Waits until `predicate()` holds (polling), failing after `timeoutMs`. */
export async function eventually(predicate, { timeoutMs = 3000, what = "the condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits out the end of the current window if it ends within `marginMs`, so that what follows falls in one window. */
export async function awayFromWindowEdge(windowMs, marginMs = 3000) {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/**
 * For a suite: its own Redis and upstash-local started before the tests
 * (`onStart({ local, redis })`, `redis` a real @upstash/redis client of it)
 * and stopped after.
 */
export function useLocal(onStart) {
  let local;
  before(async () => {
    local = await startLocal();
    onStart({ local, redis: new Redis({ url: local.url, token: local.token }) });
  });
  after(() => local?.stop());
}
