// Test harness for the built worker: real redis-server processes, the real
// upstash-local binary, and the worker in Miniflare (workerd) with a local D1.
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { after, before } from "node:test";
import { Log, LogLevel, Miniflare } from "miniflare";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const TOKEN = "worker-test-token";
/** The admin token every test worker gets unless a test sets its own. */
export const ADMIN_TOKEN = "worker-test-admin-token-0123456789abcdef";
const UPSTASH_LOCAL = process.env.UPSTASH_LOCAL_BIN ?? path.join(ROOT, "target/debug/upstash-local");
export const COMPATIBILITY_DATE = /compatibility_date\s*=\s*"([^"]+)"/.exec(
  readFileSync(path.join(ROOT, "wrangler.toml"), "utf8"),
)[1];

let uniqueCounter = 0;
/** A string no other test (or run) uses, for key prefixes. */
export function unique(name) {
  return `${name}-${process.pid}-${Date.now().toString(36)}-${uniqueCounter++}`;
}

export async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/** Kills `child` and waits for it; a no-op when it has already exited. */
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

/**
 * A redis-server of the test's own, on a free port, that the test may stop:
 * `upstash-local own-redis` starts it (the launcher the Rust suites use too),
 * prints `redis listening on redis://127.0.0.1:PORT`, and stops it on SIGTERM
 * or when its stdin closes (so it also goes if this process dies).
 */
export async function startRedis() {
  if (!existsSync(UPSTASH_LOCAL)) throw new Error(`${UPSTASH_LOCAL} is missing: run \`npm test\` (it builds it)`);
  const child = spawn(UPSTASH_LOCAL, ["own-redis"], { stdio: ["pipe", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = /^redis listening on (redis:\/\/\S+)\n/.exec(seen);
      if (match) resolve(match[1]);
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`upstash-local own-redis exited with ${code}: ${seen}`)));
  });
  return {
    url,
    /** Stops the redis-server: SIGTERM to own-redis, then waits for it to exit. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * The Redis the suites share: REDIS_URL when it is a redis:// URL (as
 * `REDIS_URL=redis://… npm test` gives it), else the machine's on 6379.
 */
export const SHARED_REDIS_URL = /^redis:\/\//.test(process.env.REDIS_URL ?? "") ? process.env.REDIS_URL : "redis://127.0.0.1:6379";

/**
 * The upstash-local binary in front of `redisUrl`; resolves once it listens.
 * `port` 0 picks a free one; give the port of a stopped one to restart it.
 */
export async function startUpstashLocal(redisUrl = SHARED_REDIS_URL, { port = 0 } = {}) {
  if (!existsSync(UPSTASH_LOCAL)) throw new Error(`${UPSTASH_LOCAL} is missing: run \`npm test\` (it builds it)`);
  // The token and the Redis URL (which may hold a password) go in the
  // environment: `ps` shows command lines to every user.
  const child = spawn(UPSTASH_LOCAL, ["--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, UPSTASH_LOCAL_TOKEN: TOKEN, UPSTASH_LOCAL_READ_ONLY_TOKEN: undefined, UPSTASH_LOCAL_REDIS_URL: redisUrl },
  });
  const url = await new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`upstash-local exited with ${code}: ${seen}`)));
  });
  const server = {
    url,
    port: Number(new URL(url).port),
    /** Runs one Redis command through the REST API (plain UTF-8 answers). */
    async command(...args) {
      const response = await fetch(`${url}/`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(args),
      });
      const body = await response.json();
      if (body.error) throw new Error(body.error);
      return body.result;
    },
    /** REST requests upstash-local has served since the last reset. */
    async requests() {
      const response = await fetch(`${url}/__local/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return (await response.json()).requests;
    },
    async resetRequests() {
      await fetch(`${url}/__local/stats/reset`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    },
    /**
     * Every cache key under `prefix`, with its PTTL in milliseconds. Rate
     * limiter keys (`{prefix}:rl:*`) are left out: their TTLs are the
     * limiter tests' business, and they expire as the windows pass. So are
     * the fleet's counters (`{prefix}:fleet:*`, a day): fleet.test.mjs's.
     */
    async keysWithPttl(prefix) {
      const keys = (await server.command("KEYS", `${prefix}:*`)).filter((key) => !key.startsWith(`${prefix}:rl:`) && !key.startsWith(`${prefix}:fleet:`));
      return Promise.all(keys.map(async (key) => ({ key, pttl: await server.command("PTTL", key) })));
    },
    async stop() {
      await stopChild(child);
    },
  };
  return server;
}

/** Every migration under `root`/migrations/, in order: its file name and statements. */
function migrations(root) {
  const dir = path.join(root, "migrations");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((name) => ({
      name,
      statements: readFileSync(path.join(dir, name), "utf8")
        .replace(/--.*$/gm, "")
        .split(";")
        .map((s) => s.trim())
        .filter(Boolean),
    }));
}

/**
 * Applies the migrations `db` has not had yet, recording each in
 * `d1_migrations` as wrangler does, so workers sharing a D1 directory
 * apply each one once.
 */
export async function migrate(db, root) {
  await db.prepare("CREATE TABLE IF NOT EXISTS d1_migrations (name TEXT PRIMARY KEY)").run();
  const applied = new Set((await db.prepare("SELECT name FROM d1_migrations").all()).results.map((r) => r.name));
  for (const { name, statements } of migrations(root)) {
    if (applied.has(name)) continue;
    for (const statement of statements) await db.prepare(statement).run();
    await db.prepare("INSERT INTO d1_migrations (name) VALUES (?1)").bind(name).run();
  }
}

/** A Miniflare log that keeps warnings and errors in `lines`. */
class CollectingLog extends Log {
  constructor(lines) {
    super(LogLevel.WARN);
    this.lines = lines;
  }
  log(message) {
    this.lines.push(...String(message).split("\n").filter(Boolean));
  }
}

/**
 * The built worker (build/index.js) in Miniflare, with a fresh local D1 that
 * has the migrations applied. `root` is the worker's crate folder (default
 * this repository's; Miniflare runs from there, with its build/ and
 * migrations/). `vars` become the worker's environment.
 * Console lines the worker prints, and Miniflare's warnings and errors, are
 * collected in `logs`. Workers given the same `d1Dir` share one D1 database
 * (for a worker restarted on the same data; for two isolates at once use
 * `startIsolates`, which keeps D1 in one process).
 */
export async function startWorker(vars = {}, { d1Dir, inspectorPort, root } = {}) {
  const [worker] = await startIsolates(vars, { count: 1, d1Dir, inspectorPort, root });
  return worker;
}

/**
 * `count` isolates of the built worker (default 2) in ONE Miniflare: each its
 * own Worker, so each has its own memory (L1, single-flight, breaker), and
 * all bound to the same D1 database and `vars`. One workerd process holds
 * D1's SQLite, as in production one service does: two processes sharing a
 * D1 directory can fail with SQLITE_BUSY. Answers one handle per isolate
 * (`fetch`, `as`, `anonymous`, `db`, `logs`, `dispose`); disposing any of
 * them stops all. `inspectorPort` opens workerd's V8 inspector there (for
 * tests/bench/profile.mjs).
 */
export async function startIsolates(vars = {}, { count = 2, d1Dir, inspectorPort, root = ROOT } = {}) {
  // ADMIN_TOKEN: null leaves it unset (a worker without one fails closed).
  const bindings = { ADMIN_TOKEN, ...vars };
  if (bindings.ADMIN_TOKEN === null) delete bindings.ADMIN_TOKEN;
  const logs = [];
  const collect = (stream) => {
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => logs.push(...chunk.split("\n").filter(Boolean)));
  };
  const names = Array.from({ length: count }, (_, i) => `isolate-${i}`);
  const worker = (name, i) => ({
    name,
    modules: true,
    scriptPath: path.join(root, "build/index.js"),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    compatibilityDate: COMPATIBILITY_DATE,
    d1Databases: { DB: "edgecache-test" },
    bindings,
    // The dashboard, served as Workers static assets, as wrangler.toml says.
    ...(i === 0 && root === ROOT ? { assets: { directory: path.join(ROOT, "www"), routerConfig: { has_user_worker: true } } } : {}),
  });
  const mf = new Miniflare({
    // Miniflare's own warnings and errors: where workerd reports a request it
    // cancelled ("...had hung and would never generate a response").
    log: new CollectingLog(logs),
    rootPath: root,
    workers: names.map(worker),
    ...(d1Dir ? { d1Persist: d1Dir } : {}),
    ...(inspectorPort ? { inspectorPort } : {}),
    handleRuntimeStdio(stdout, stderr) {
      collect(stdout);
      collect(stderr);
    },
  });
  const url = (await mf.ready).origin;
  const db = await mf.getD1Database("DB", names[0]);
  await migrate(db, root);
  const handles = [];
  for (const [i, name] of names.entries()) {
    const target = i === 0 ? mf : await mf.getWorker(name);
    const send = (pathname, init) => (i === 0 ? mf.dispatchFetch(`http://localhost${pathname}`, init) : target.fetch(`http://localhost${pathname}`, init));
    handles.push({
      mf,
      db,
      logs,
      /** The first isolate's base URL over real HTTP (`http://127.0.0.1:PORT`, no trailing slash), for a browser. */
      url,
      /**
       * `fetch` against the worker as the admin; `path` is absolute ("/health").
       * An `authorization` header of the caller's own wins.
       */
      fetch(pathname, init = {}) {
        const headers = new Headers(init.headers);
        if (!headers.has("authorization") && bindings.ADMIN_TOKEN) headers.set("authorization", `Bearer ${bindings.ADMIN_TOKEN}`);
        return send(pathname, { ...init, headers });
      },
      /** `fetch` with no credentials at all. */
      anonymous(pathname, init = {}) {
        return send(pathname, init);
      },
      /** `fetch` with `Authorization: Bearer <token>`. */
      as(token, pathname, init = {}) {
        const headers = new Headers(init.headers);
        headers.set("authorization", `Bearer ${token}`);
        return send(pathname, { ...init, headers });
      },
      dispose: () => mf.dispose().catch(() => {}),
    });
  }
  return handles;
}

/**
 * For tests that count Upstash requests exactly: no fleet flush during the
 * test. Each isolate adds its counters to the fleet's at most once per
 * `STATS_FLUSH_INTERVAL_MS` (10 s by default), after a response, in one
 * request of its own; fleet.test.mjs counts those.
 */
export const NO_FLUSH = { STATS_FLUSH_INTERVAL_MS: "3600000" };

/** Settings pointing the worker at `server` with a key prefix of its own. */
export function upstashVars(server, extra = {}) {
  return {
    UPSTASH_REDIS_REST_URL: server.url,
    UPSTASH_REDIS_REST_TOKEN: TOKEN,
    CACHE_KEY_PREFIX: unique("wt"),
    ...extra,
  };
}

/**
 * Runs `run(worker, upstash, vars)` against a worker and an upstash-local of
 * its own (settings `upstashVars(upstash, extraVars)`; its limiter keys share
 * that unique prefix), stopping both after, failure or not.
 */
export async function withWorker(extraVars, run) {
  const upstash = await startUpstashLocal();
  const vars = upstashVars(upstash, extraVars);
  const worker = await startWorker(vars);
  try {
    await run(worker, upstash, vars);
  } finally {
    await worker.dispose();
    await upstash.stop();
  }
}

/**
 * For a `describe` block: starts upstash-local and the worker (its settings
 * `upstashVars(upstash, extraVars)`) before the tests, stops both after.
 * Answers an object whose `upstash`, `vars` and `worker` are set once started.
 */
export function useWorker(extraVars = {}) {
  const suite = {};
  before(async () => {
    suite.upstash = await startUpstashLocal();
    suite.vars = upstashVars(suite.upstash, extraVars);
    suite.worker = await startWorker(suite.vars);
  });
  after(async () => {
    await suite.worker?.dispose();
    await suite.upstash?.stop();
  });
  return suite;
}

/** A TCP server that accepts connections and never answers: a stalled backend. */
export async function startStalledServer() {
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async stop() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** Polls `check` every 100 ms until it answers truthy; resolves to the ms it took. */
export async function within(timeoutMs, what, check) {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const POLICY = { defaultModel: "m1", allowedModels: ["m1", "m2"], maxTokensPerRequest: 4096 };

export function putJson(worker, pathname, body) {
  return worker.fetch(pathname, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
