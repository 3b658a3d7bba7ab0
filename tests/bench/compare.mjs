// `npm run bench`, side by side: edgecache's reference worker against the JS
// stack a Workers team would use today (tests/bench/js-worker: @upstash/redis
// + @upstash/ratelimit). Both run under `wrangler dev`, each with its own
// local D1 seeded with the same rows (so both caches start cold), both in
// front of one upstash-local over the shared Redis, each through its own
// counting proxy (tests/support/upstash-proxy.mjs).
//
// Workload, shaped on Twitter's production cache study (Yang et al., OSDI
// 2020): Zipf popularity (s = 1) over BENCH_TENANTS tenants, small values (a
// few hundred bytes), a read-heavy (95% GET) and a write-heavy (70% GET) mix;
// BENCH_CLIENTS closed-loop clients, each with its own CF-Connecting-IP.
// BENCH_ROUNDS rounds of BENCH_SECONDS per mix per worker, one worker loaded
// at a time, alternating which goes first; tables show medians across rounds.
// Before them, one unmeasured run per mix per worker (BENCH_WARMUP_SECONDS,
// default BENCH_SECONDS) warms both caches, so the rounds see a cache in
// service rather than a cold start.
//
// Conventions: every number is measured on this (shared, noisy) machine with
// local stand-ins for Upstash and D1, so ratios mean more than absolutes. The
// proxies run in this process, so each REST round trip also costs a hop
// through Node here (roughly what a real network hop would add). Both workers
// get the same settings: TTL 300 s, sliding-window limits of 1,000,000 per
// 60 s (checked, never reached) and an ADMIN_TOKEN sent on every request.
// Output: a table per mix, bench-results/compare.json and compare.svg.
// Every process started here is stopped on the way out, failure or not.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median, quantile, runClosedLoop, seededRandom, zipf } from "../load/workload.mjs";
import { startUpstashProxy } from "../support/upstash-proxy.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// harness.mjs reads UPSTASH_LOCAL_BIN when loaded: prefer a release build to its debug default.
const RELEASE_UPSTASH_LOCAL = path.join(ROOT, "target/release/upstash-local");
if (!process.env.UPSTASH_LOCAL_BIN && existsSync(RELEASE_UPSTASH_LOCAL)) process.env.UPSTASH_LOCAL_BIN = RELEASE_UPSTASH_LOCAL;
const { TOKEN, freePort, startUpstashLocal } = await import("../worker/harness.mjs");

const ROUNDS = positive("BENCH_ROUNDS", 3);
const SECONDS = positive("BENCH_SECONDS", 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? SECONDS);
const CLIENTS = positive("BENCH_CLIENTS", 16);
const TENANTS = positive("BENCH_TENANTS", 2000);
const ZIPF_S = 1.0;
const TTL_SECONDS = 300;
const USERS_PER_TENANT = 4; // u0..u3; every 10th tenant has overrides for u0 and u1
const MIXES = [
  { name: "read-heavy", label: "read-heavy (95% GET / 5% PUT)", getShare: 0.95 },
  { name: "write-heavy", label: "write-heavy (70% GET / 30% PUT)", getShare: 0.7 },
];
// Shares of the three resources, for GETs and PUTs alike.
const RESOURCES = [
  ["policy", 0.4],
  ["tenant config", 0.3],
  ["user config", 0.3],
];
const WORKERS = [
  { id: "edgecache", title: "edgecache", dir: ROOT },
  { id: "js", title: "@upstash/redis + @upstash/ratelimit", dir: path.join(ROOT, "tests/bench/js-worker") },
];
const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");
const OUT_DIR = path.join(ROOT, "bench-results");
const MODELS = ["gpt-4o-mini-2026-01", "claude-haiku-5", "llama-4-scout-17b", "mistral-small-2601", "gemini-3-flash"];
const WORDS = "answer briefly cite sources prefer tables avoid jargon keep context summarize decisions ask before acting".split(" ");

function positive(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${process.env[name]}`);
  return value;
}

// --- Processes --------------------------------------------------------------------

// What wrangler dev prints offline and about cron triggers, whatever the worker does.
const WRANGLER_NOTICE =
  /Request\.cf|workers\.cloudflare\.com|GetAddrInfoReqWrap|Scheduled Workers are not automatically|trigger a scheduled event|cdn-cgi\/handler\/scheduled|cron-triggers|^\s*$/i;

/** Children started here (each leads its own process group), stopped on exit. */
const children = new Set();
const cleanups = [];

/** Spawns `command` as the leader of a new process group; keeps its last output lines. */
function spawnGroup(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.lines = [];
  child.lineCount = 0; // lines other than wrangler's usual offline notices
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      const lines = chunk.split("\n").filter(Boolean);
      child.lineCount += lines.filter((line) => !WRANGLER_NOTICE.test(line)).length;
      child.lines.push(...lines);
      child.lines.splice(0, Math.max(0, child.lines.length - 200));
    });
  }
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

/** SIGTERM to the child's whole group (wrangler, workerd, esbuild), SIGKILL after 5 s. */
async function stopGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {}
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  signal("SIGKILL"); // whatever of the group outlived its leader
}

process.on("exit", () => {
  for (const child of children) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
});
for (const name of ["SIGINT", "SIGTERM"]) {
  process.once(name, () => {
    console.error(`\n[compare] ${name}: stopping everything`);
    cleanup().finally(() => process.exit(130));
  });
}

async function cleanup() {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()();
    } catch (error) {
      console.error(`[compare] cleanup: ${error.message}`);
    }
  }
}

/** Runs wrangler to completion in `cwd`; throws with its output on failure. */
async function wrangler(args, cwd) {
  const child = spawnGroup(WRANGLER, args, { cwd, env: wranglerEnv() });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`wrangler ${args.join(" ")} exited with ${code}:\n${child.lines.join("\n")}`);
}

function wranglerEnv() {
  // CI: no prompts. EDGECACHE_SKIP_BUILD: edgecache's [build] is a no-op (build/ is built).
  return { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", EDGECACHE_SKIP_BUILD: "1" };
}

// --- The two workers ------------------------------------------------------------------

/** SQL for `tenants` tenants: a policy and a tenant default each, overrides for some users. */
function seedSql(tenants) {
  const random = seededRandom(42);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const quote = (text) => `'${String(text).replaceAll("'", "''")}'`;
  const now = Date.now();
  const policies = [];
  const configs = [];
  for (let i = 0; i < tenants; i++) {
    const tenant = tenantId(i);
    const allowed = MODELS.slice(0, 2 + (i % 4));
    policies.push(`(${quote(tenant)}, ${quote(pick(allowed))}, ${quote(JSON.stringify(allowed))}, ${1024 * (1 + (i % 16))}, ${now})`);
    configs.push(`(${quote(tenant)}, '', ${quote(prompt(random))}, ${(i % 20) / 10}, ${10 + (i % 90)}, ${now})`);
    if (i % 10 === 0) {
      configs.push(`(${quote(tenant)}, 'u0', ${quote(prompt(random))}, NULL, NULL, ${now})`);
      configs.push(`(${quote(tenant)}, 'u1', NULL, 1.5, 40, ${now})`);
    }
  }
  const inserts = (table, columns, rows) =>
    Array.from({ length: Math.ceil(rows.length / 200) }, (_, n) => `INSERT INTO ${table} (${columns}) VALUES\n${rows.slice(n * 200, n * 200 + 200).join(",\n")};`);
  return [
    ...inserts("tenant_llm_policies", "tenant_id, default_model, allowed_models, max_tokens_per_request, updated_at_ms", policies),
    ...inserts("conversation_configs", "tenant_id, user_id, system_prompt, temperature, max_turns, updated_at_ms", configs),
  ].join("\n");
}

function tenantId(rank) {
  return `t${String(rank).padStart(5, "0")}`;
}

/** A system prompt of about 200 characters. */
function prompt(random) {
  const words = [];
  while (words.join(" ").length < 200) words.push(WORDS[Math.floor(random() * WORDS.length)]);
  return words.join(" ");
}

/**
 * What `worker` needs before `wrangler dev` starts: its own D1 (migrations
 * applied, seeded from `seedFile`), its counting proxy in front of
 * `upstashUrl`, and its secrets in a 0600 env file. Its Redis keys start with
 * `prefix`.
 */
async function prepareWorker(worker, upstashUrl, seedFile, prefix) {
  const state = mkdtempSync(path.join(tmpdir(), `bench-${worker.id}-`));
  cleanups.push(() => rmSync(state, { recursive: true, force: true }));
  const persist = ["--persist-to", state];
  await wrangler(["d1", "migrations", "apply", "DB", "--local", ...persist], worker.dir);
  await wrangler(["d1", "execute", "DB", "--local", ...persist, "--file", seedFile, "--yes"], worker.dir);

  const proxy = await startUpstashProxy(upstashUrl);
  cleanups.push(() => proxy.stop());
  const adminToken = randomBytes(24).toString("hex");
  const envFile = path.join(state, "secrets.env");
  const settings = {
    UPSTASH_REDIS_REST_URL: proxy.url,
    UPSTASH_REDIS_REST_TOKEN: TOKEN,
    ADMIN_TOKEN: adminToken,
    CACHE_KEY_PREFIX: prefix,
    CACHE_TTL_POLICY_SECONDS: TTL_SECONDS,
    CACHE_TTL_CONFIG_SECONDS: TTL_SECONDS,
    RATE_LIMIT_ALGORITHM: "sliding-window",
    RATE_LIMIT_CLIENT_LIMIT: 1_000_000,
    RATE_LIMIT_TENANT_LIMIT: 1_000_000,
  };
  writeFileSync(envFile, Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(""), { mode: 0o600 });
  return { ...worker, persist, envFile, adminToken, prefix, proxy };
}

/**
 * Serves a prepared worker with `wrangler dev` on free ports; resolves once
 * its /health answers 200. A port taken between choosing and binding it
 * (workerd binds ephemeral ports too) is retried on other ports.
 */
async function launchWorker(worker) {
  for (let attempt = 1; ; attempt++) {
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const child = spawnGroup(
      WRANGLER,
      ["dev", "--ip", "127.0.0.1", "--port", port, "--inspector-port", inspectorPort, ...worker.persist,
        "--env-file", worker.envFile, "--log-level", "warn", "--show-interactive-dev-session=false"].map(String),
      { cwd: worker.dir, env: wranglerEnv() },
    );
    cleanups.push(() => stopGroup(child));
    const started = { ...worker, url: `http://127.0.0.1:${port}`, child };
    try {
      await waitHealthy(started);
    } catch (error) {
      await stopGroup(child);
      if (attempt < 3 && child.lines.some((line) => /address already in use/i.test(line))) continue;
      throw error;
    }
    child.lineCount = 0; // from here on (--log-level warn), every line is a warning or an error
    return started;
  }
}

async function waitHealthy(worker, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (worker.child.exitCode !== null) break;
    try {
      const response = await fetch(`${worker.url}/health`, { signal: AbortSignal.timeout(5_000) });
      last = `${response.status} ${await response.text()}`;
      if (response.ok) return;
    } catch (error) {
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${worker.title} did not become healthy (${last}):\n${worker.child.lines.join("\n")}`);
}

/** Deletes the Redis keys a worker wrote (cache entries and limiter windows). */
async function deleteKeys(upstash, prefix) {
  const keys = await upstash.command("KEYS", `${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await upstash.command("DEL", ...keys.slice(i, i + 500));
}

// --- Load --------------------------------------------------------------------------------

function pickResource(random) {
  let roll = random();
  for (const [name, share] of RESOURCES) {
    if ((roll -= share) < 0) return name;
  }
  return RESOURCES.at(-1)[0];
}

function pathOf(resource, tenant, user) {
  if (resource === "policy") return `/v1/tenants/${tenant}/policy`;
  if (resource === "tenant config") return `/v1/tenants/${tenant}/conversation-config`;
  return `/v1/tenants/${tenant}/users/${user}/conversation-config`;
}

function bodyOf(resource, random) {
  if (resource === "policy") {
    const allowed = MODELS.slice(0, 2 + Math.floor(random() * 4));
    return { defaultModel: allowed[0], allowedModels: allowed, maxTokensPerRequest: 1 + Math.floor(random() * 32_768) };
  }
  if (resource === "tenant config") {
    return { systemPrompt: prompt(random), temperature: Math.round(random() * 20) / 10, maxTurns: 1 + Math.floor(random() * 100) };
  }
  return { temperature: Math.round(random() * 20) / 10 };
}

/**
 * The request stream of one client (`ip`, seeded by `seed`): Zipf tenants,
 * `mix.getShare` GETs. Tallies the `x-cache` of GETs in `cacheStatus`.
 */
function clientRequests(worker, mix, ip, seed, cacheStatus) {
  const random = seededRandom(seed);
  const tenantRank = zipf(TENANTS, ZIPF_S, random);
  const headers = { authorization: `Bearer ${worker.adminToken}`, "cf-connecting-ip": ip };
  return () => {
    const tenant = tenantId(tenantRank());
    const resource = pickResource(random);
    const url = worker.url + pathOf(resource, tenant, `u${Math.floor(random() * USERS_PER_TENANT)}`);
    if (random() < mix.getShare) {
      return {
        label: `GET ${resource}`,
        async send() {
          const response = await fetch(url, { headers });
          const status = response.headers.get("x-cache") ?? "none";
          cacheStatus[status] = (cacheStatus[status] ?? 0) + 1;
          return response;
        },
      };
    }
    const body = JSON.stringify(bodyOf(resource, random));
    return {
      label: `PUT ${resource}`,
      send: () => fetch(url, { method: "PUT", headers: { ...headers, "content-type": "application/json" }, body }),
    };
  };
}

const CLOCK_TICKS_PER_S = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/**
 * CPU time so far, in ms, of every live process in the group `pgid` (one
 * worker's `wrangler dev`), by role: `worker` (the workerd that runs the
 * worker and its local D1; wrangler starts it with an inspector), `proxy`
 * (the workerd of wrangler's proxy in front of it) and `wrangler` (node).
 * Read from /proc.
 */
function groupCpuMs(pgid) {
  const byRole = { worker: 0, proxy: 0, wrangler: 0 };
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    let cmdline;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // After "pid (comm) ": state ppid pgrp ... utime (14th field) stime (15th).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== pgid) continue;
    const role = !cmdline.includes("workerd") ? "wrangler" : cmdline.includes("--inspector-addr") ? "worker" : "proxy";
    byRole[role] += ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  }
  return byRole;
}

/** One closed-loop client per IP (runClosedLoop's own clients share one request stream), merged. */
async function runMix(worker, mix, seed, seconds = SECONDS) {
  const cacheStatus = {};
  worker.proxy.reset();
  const cpuBefore = groupCpuMs(worker.child.pid);
  const parts = await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) =>
      runClosedLoop({
        clients: 1,
        durationMs: seconds * 1000,
        nextRequest: clientRequests(worker, mix, `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, seed + i, cacheStatus),
      }),
    ),
  );
  const restRequests = worker.proxy.requests();
  const cpuAfter = groupCpuMs(worker.child.pid);
  const cpuMs = Object.fromEntries(Object.keys(cpuAfter).map((role) => [role, cpuAfter[role] - cpuBefore[role]]));
  const latencies = parts.flatMap((part) => part.latencies).sort((a, b) => a - b);
  const requests = parts.reduce((n, part) => n + part.requests, 0);
  const elapsedS = Math.max(...parts.map((part) => part.elapsedS));
  const statuses = {};
  for (const part of parts) {
    for (const [key, count] of Object.entries(part.statuses)) statuses[key] = (statuses[key] ?? 0) + count;
  }
  const failures = parts.flatMap((part) => part.failures);
  const serverErrors = parts.reduce((n, part) => n + part.serverErrors, 0);
  const gets = Object.values(cacheStatus).reduce((a, b) => a + b, 0);
  const count = (predicate) => Object.entries(statuses).filter(([key]) => predicate(key)).reduce((n, [, c]) => n + c, 0);
  return {
    requests,
    elapsedS,
    perSecond: requests / elapsedS,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    restRequests,
    tripsPerRequest: restRequests / requests,
    cpuMsPerRequest: (cpuMs.worker + cpuMs.proxy + cpuMs.wrangler) / requests,
    workerCpuMsPerRequest: cpuMs.worker / requests,
    gets,
    cacheStatus,
    hitRate: gets ? ((cacheStatus.hit ?? 0) + (cacheStatus.stale ?? 0)) / gets : 0,
    errors: serverErrors + failures.length,
    serverErrors,
    refused: count((key) => key.endsWith(" 429")),
    otherClientErrors: count((key) => /\s4\d\d$/.test(key) && !key.endsWith(" 429")),
    statuses,
    errorSamples: [...parts.flatMap((part) => part.errorSamples), ...failures].slice(0, 5),
  };
}

/**
 * REST round trips of a GET answered from the cache: reads `paths` once to
 * warm them, then again one at a time, counting the proxy's requests for each
 * answer with `x-cache: hit` (others are left out and counted apart).
 */
async function cachedGetTrips(worker, paths) {
  const headers = { authorization: `Bearer ${worker.adminToken}`, "cf-connecting-ip": "10.9.0.1" };
  for (const p of paths) await (await fetch(worker.url + p, { headers })).arrayBuffer();
  let hits = 0;
  let trips = 0;
  for (const p of paths) {
    worker.proxy.reset();
    const response = await fetch(worker.url + p, { headers });
    await response.arrayBuffer();
    if (response.headers.get("x-cache") !== "hit") continue;
    hits++;
    trips += worker.proxy.requests();
  }
  return { gets: paths.length, hits, tripsPerHit: hits ? trips / hits : NaN };
}

// --- Report ---------------------------------------------------------------------------------

const METRICS = [
  ["requests/s", "perSecond", 0],
  ["p50 ms", "p50", 1],
  ["p99 ms", "p99", 1],
  ["REST round trips / request", "tripsPerRequest", 2],
  ["REST round trips / cached GET", "tripsPerCachedGet", 2],
  ["CPU ms / request, its wrangler dev", "cpuMsPerRequest", 2],
  ["  of which the worker's workerd", "workerCpuMsPerRequest", 2],
  ["hit rate (hit+stale / GETs)", "hitRate", 3],
  ["errors (5xx + thrown)", "errors", 0],
];

function summarize(runs, cachedGets) {
  const summary = {};
  for (const mix of MIXES) {
    summary[mix.name] = {};
    for (const worker of WORKERS) {
      const mine = runs.filter((run) => run.mix === mix.name && run.worker === worker.id);
      const medianOf = (field) => median(mine.map((run) => run[field]));
      summary[mix.name][worker.id] = {
        perSecond: medianOf("perSecond"),
        p50: medianOf("p50"),
        p99: medianOf("p99"),
        tripsPerRequest: medianOf("tripsPerRequest"),
        tripsPerCachedGet: cachedGets[worker.id].tripsPerHit,
        cpuMsPerRequest: medianOf("cpuMsPerRequest"),
        workerCpuMsPerRequest: medianOf("workerCpuMsPerRequest"),
        hitRate: medianOf("hitRate"),
        errors: mine.reduce((n, run) => n + run.errors, 0), // a total, not a median
        refused: mine.reduce((n, run) => n + run.refused, 0),
        otherClientErrors: mine.reduce((n, run) => n + run.otherClientErrors, 0),
      };
    }
  }
  return summary;
}

function printTables(summary) {
  for (const mix of MIXES) {
    const [edge, js] = [summary[mix.name].edgecache, summary[mix.name].js];
    const rows = {};
    for (const [label, field, digits] of METRICS) {
      const ratio = js[field] ? edge[field] / js[field] : edge[field] ? Infinity : NaN;
      rows[label] = {
        edgecache: Number(edge[field].toFixed(digits)),
        "@upstash JS": Number(js[field].toFixed(digits)),
        "edgecache / JS": Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : "n/a",
      };
    }
    console.log(`\n${mix.label}: medians of ${ROUNDS} round(s) of ${SECONDS} s, ${CLIENTS} clients, ${TENANTS} tenants (errors: totals)`);
    console.table(rows);
    for (const worker of WORKERS) {
      const { refused, otherClientErrors } = summary[mix.name][worker.id];
      if (refused || otherClientErrors) console.log(`  ${worker.title}: ${refused} x 429, ${otherClientErrors} other 4xx (expected none)`);
    }
  }
}

const escapeXml = (text) => String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value`. */
function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= value);
}

const COLORS = { edgecache: "#f38020", js: "#3b6ea5" };

/** One panel of grouped bars: `groups` are `{ label, values: { edgecache, js } }`. */
function barPanel({ x, y, width, height, title, groups, digits }) {
  const top = niceMax(Math.max(...groups.flatMap((g) => Object.values(g.values).filter(Number.isFinite))));
  const plot = { x: x + 60, y: y + 40, width: width - 80, height: height - 90 };
  const scale = (v) => (Number.isFinite(v) ? (v / top) * plot.height : 0);
  const parts = [`<text x="${x + 10}" y="${y + 20}" class="title">${escapeXml(title)}</text>`];
  for (let i = 0; i <= 5; i++) {
    const value = (top * i) / 5;
    const ty = plot.y + plot.height - (plot.height * i) / 5;
    parts.push(`<line x1="${plot.x}" y1="${ty}" x2="${plot.x + plot.width}" y2="${ty}" class="grid"/>`);
    parts.push(`<text x="${plot.x - 6}" y="${ty + 4}" class="tick">${escapeXml(Number(value.toPrecision(3)))}</text>`);
  }
  const slot = plot.width / groups.length;
  const barWidth = Math.min(48, (slot - 24) / 2);
  groups.forEach((group, g) => {
    const center = plot.x + slot * (g + 0.5);
    WORKERS.forEach((worker, w) => {
      const value = group.values[worker.id];
      const h = scale(value);
      const bx = center - barWidth + w * barWidth;
      const by = plot.y + plot.height - h;
      parts.push(`<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[worker.id]}"/>`);
      const label = Number.isFinite(value) ? value.toFixed(digits) : "n/a";
      parts.push(`<text x="${(bx + barWidth / 2).toFixed(1)}" y="${(by - 4).toFixed(1)}" class="value">${label}</text>`);
    });
    parts.push(`<text x="${center.toFixed(1)}" y="${plot.y + plot.height + 18}" class="group">${escapeXml(group.label)}</text>`);
    const ratio = group.values.edgecache / group.values.js;
    if (Number.isFinite(ratio)) {
      parts.push(`<text x="${center.toFixed(1)}" y="${plot.y + plot.height + 34}" class="ratio">edgecache / JS ${ratio.toFixed(2)}x</text>`);
    }
  });
  parts.push(`<line x1="${plot.x}" y1="${plot.y + plot.height}" x2="${plot.x + plot.width}" y2="${plot.y + plot.height}" class="axis"/>`);
  return parts.join("\n");
}

function drawSvg(summary, settings) {
  const width = 980;
  const panelHeight = 300;
  const values = (mix, field) => ({ edgecache: summary[mix].edgecache[field], js: summary[mix].js[field] });
  const short = { "read-heavy": "read-heavy 95/5", "write-heavy": "write-heavy 70/30" };
  const panels = [
    {
      title: "Throughput, requests/s (higher is better)",
      digits: 0,
      groups: MIXES.map((mix) => ({ label: short[mix.name], values: values(mix.name, "perSecond") })),
    },
    {
      title: "Latency, ms (lower is better)",
      digits: 1,
      groups: MIXES.flatMap((mix) => [
        { label: `${short[mix.name]} p50`, values: values(mix.name, "p50") },
        { label: `${short[mix.name]} p99`, values: values(mix.name, "p99") },
      ]),
    },
    {
      title: "Upstash REST round trips (lower is better)",
      digits: 2,
      groups: [
        ...MIXES.map((mix) => ({ label: `per request, ${short[mix.name]}`, values: values(mix.name, "tripsPerRequest") })),
        { label: "per cached GET", values: values(MIXES[0].name, "tripsPerCachedGet") },
      ],
    },
  ];
  const height = 95 + panels.length * panelHeight + 10;
  const legend = WORKERS.map(
    (worker, i) =>
      `<rect x="${20 + i * 330}" y="68" width="14" height="14" fill="${COLORS[worker.id]}"/><text x="${40 + i * 330}" y="80" class="legend">${escapeXml(worker.title)}</text>`,
  ).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
  .heading { font-size: 18px; font-weight: 600; fill: #222; }
  .sub { font-size: 12px; fill: #555; }
  .title { font-size: 14px; font-weight: 600; fill: #222; }
  .tick { font-size: 11px; fill: #555; text-anchor: end; }
  .value { font-size: 11px; fill: #222; text-anchor: middle; }
  .group { font-size: 12px; fill: #333; text-anchor: middle; }
  .ratio { font-size: 11px; fill: #666; text-anchor: middle; }
  .legend { font-size: 13px; fill: #222; }
  .grid { stroke: #e4e4e4; stroke-width: 1; }
  .axis { stroke: #888; stroke-width: 1; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="26" class="heading">edgecache vs @upstash/redis + @upstash/ratelimit (wrangler dev, local)</text>
${settings.map((line, i) => `<text x="20" y="${44 + i * 15}" class="sub">${escapeXml(line)}</text>`).join("\n")}
${legend}
${panels.map((panel, i) => barPanel({ x: 0, y: 95 + i * panelHeight, width, height: panelHeight, ...panel })).join("\n")}
</svg>
`;
}

function version(pkg) {
  return JSON.parse(readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
}

// --- Main ---------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(path.join(ROOT, "build/index.js"))) throw new Error("build/index.js is missing: build the worker first");
  const scratch = mkdtempSync(path.join(tmpdir(), "bench-compare-"));
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
  const seedFile = path.join(scratch, "seed.sql");
  writeFileSync(seedFile, seedSql(TENANTS));

  console.log(`[compare] upstash-local: ${process.env.UPSTASH_LOCAL_BIN ?? "target/debug/upstash-local"}`);
  const upstash = await startUpstashLocal();
  cleanups.push(() => upstash.stop());
  // Deleted once the workers have stopped (cleanups run last first), before upstash-local stops.
  const prefixes = Object.fromEntries(WORKERS.map((worker) => [worker.id, `bench-${worker.id}-${process.pid}-${Date.now().toString(36)}`]));
  cleanups.push(() => Promise.all(Object.values(prefixes).map((prefix) => deleteKeys(upstash, prefix))));
  console.log(`[compare] starting both workers under wrangler dev (D1 seeded with ${TENANTS} tenants)`);
  // allSettled: neither preparation is left running on its own when the other fails.
  const prepared = await Promise.allSettled(WORKERS.map((worker) => prepareWorker(worker, upstash.url, seedFile, prefixes[worker.id])));
  const failed = prepared.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  // One at a time: two wrangler starts at once race for the ports freePort() picked.
  const workers = [];
  for (const { value } of prepared) workers.push(await launchWorker(value));
  const byId = Object.fromEntries(workers.map((worker) => [worker.id, worker]));

  if (WARMUP_SECONDS > 0) {
    for (const mix of MIXES) {
      for (const worker of workers) {
        const warm = await runMix(worker, mix, 7, WARMUP_SECONDS);
        console.log(`[compare] warm-up ${mix.name.padEnd(11)} ${worker.id.padEnd(9)} hit ${(warm.hitRate * 100).toFixed(1)}%  errors ${warm.errors}`);
      }
    }
  }
  const runs = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [m, mix] of MIXES.entries()) {
      // Who goes first alternates from mix to mix and, for each mix, from round to round.
      const order = (round + m) % 2 === 1 ? ["edgecache", "js"] : ["js", "edgecache"];
      for (const id of order) {
        const seed = round * 1000 + (mix.name === "read-heavy" ? 0 : 500);
        const result = await runMix(byId[id], mix, seed);
        runs.push({ round, mix: mix.name, worker: id, ...result });
        console.log(
          `[compare] round ${round} ${mix.name.padEnd(11)} ${id.padEnd(9)} ${result.perSecond.toFixed(0).padStart(5)} req/s` +
            `  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  ${result.tripsPerRequest.toFixed(2)} trips/req  ${result.cpuMsPerRequest.toFixed(2)} CPU ms/req (worker ${result.workerCpuMsPerRequest.toFixed(2)})` +
            `  hit ${(result.hitRate * 100).toFixed(1)}%  errors ${result.errors}`,
        );
        for (const sample of result.errorSamples) console.log(`  ${sample}`);
      }
    }
  }

  // The most popular tenants' three GET routes, read until cached.
  const paths = Array.from({ length: 20 }, (_, rank) => tenantId(rank)).flatMap((tenant) =>
    RESOURCES.map(([resource]) => pathOf(resource, tenant, "u0")),
  );
  const cachedGets = {};
  for (const worker of workers) cachedGets[worker.id] = await cachedGetTrips(worker, paths);

  const summary = summarize(runs, cachedGets);
  printTables(summary);
  const logged = {};
  for (const worker of workers) {
    logged[worker.id] = worker.child.lineCount;
    if (worker.child.lineCount === 0) continue;
    console.log(`\n[compare] ${worker.title} logged ${worker.child.lineCount} warning/error line(s) under load; the last:`);
    for (const line of worker.child.lines.filter((l) => !WRANGLER_NOTICE.test(l)).slice(-5)) console.log(`  ${line}`);
  }
  const versions = {
    "@upstash/redis": version("@upstash/redis"),
    "@upstash/ratelimit": version("@upstash/ratelimit"),
    wrangler: version("wrangler"),
    node: process.versions.node,
  };
  const settings = { rounds: ROUNDS, seconds: SECONDS, clients: CLIENTS, tenants: TENANTS, zipfS: ZIPF_S, ttlSeconds: TTL_SECONDS, mixes: MIXES, resources: RESOURCES };
  mkdirSync(OUT_DIR, { recursive: true });
  const stripped = runs.map(({ errorSamples, ...run }) => run);
  writeFileSync(
    path.join(OUT_DIR, "compare.json"),
    `${JSON.stringify({ generatedAt: new Date().toISOString(), settings, versions, summary, cachedGets, workerLogLines: logged, runs: stripped }, null, 2)}\n`,
  );
  const caption = [
    `Medians of ${ROUNDS} round(s) x ${SECONDS} s per mix and worker, ${CLIENTS} closed-loop clients, Zipf s=${ZIPF_S} over ${TENANTS} tenants.`,
    `@upstash/redis ${versions["@upstash/redis"]}, @upstash/ratelimit ${versions["@upstash/ratelimit"]}, wrangler ${versions.wrangler}; ` +
      `upstash-local and local D1 on one shared machine: compare ratios, not absolutes.`,
  ];
  writeFileSync(path.join(OUT_DIR, "compare.svg"), drawSvg(summary, caption));
  console.log(`\n[compare] wrote ${path.relative(ROOT, OUT_DIR)}/compare.json and compare.svg`);
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  console.error(`[compare] failed: ${error.stack ?? error}`);
} finally {
  await cleanup();
}
