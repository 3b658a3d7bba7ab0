// `npm run bench`, side by side: edgecache's reference worker against the JS
// stack a Workers team would use today (tests/bench/js-worker: @upstash/redis
// + @upstash/ratelimit), over one upstash-local and the shared Redis, each
// worker with its own D1 seeded with the same rows (both caches start cold)
// and its own counting Upstash proxy. Two modes (BENCH_MODES, default both):
//
// - production: each worker served by Miniflare directly (its own workerd,
//   no proxy in front), every Upstash round trip held BENCH_UPSTASH_RTT_MS
//   (default 5 ms) and every D1 round trip BENCH_D1_RTT_MS (default 15 ms),
//   the same for both; with the cost per million requests at published
//   prices and the goals (side-by-side/direct.mjs, prices.mjs). In
//   production the time goes into those round trips and the bill into
//   Upstash commands, D1 rows and Workers CPU: this mode measures those.
// - wrangler: each under `wrangler dev`, as developers run them locally, with
//   no latency injected (side-by-side/wrangler.mjs): a CPU-bound comparison on
//   this machine, where wrangler's own proxy takes much of the CPU.
//
// Workload (side-by-side/workload.mjs): Zipf over BENCH_TENANTS tenants,
// BENCH_CLIENTS closed-loop clients (BENCH_PRODUCTION_CLIENTS, default 4, in
// the production mode, so that this machine's CPU is not what sets the pace), BENCH_ROUNDS rounds of BENCH_SECONDS
// per mix per worker after one unmeasured warm-up run each, one worker
// loaded at a time, alternating which goes first; tables show medians.
// Output: tables, then bench-results/<mode>.json and <mode>.svg.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { cleanup, cleanupMark, onCleanup } from "./side-by-side/processes.mjs";
import { WORKER_IDS, drawSvg, goals, printTables, summarize } from "./side-by-side/report.mjs";
import { MIXES, SETTINGS, cachedGetTrips, popularPaths, runMix, seedSql } from "./side-by-side/workload.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// harness.mjs reads UPSTASH_LOCAL_BIN when loaded: prefer a release build to its debug default.
const RELEASE_UPSTASH_LOCAL = path.join(ROOT, "target/release/upstash-local");
if (!process.env.UPSTASH_LOCAL_BIN && existsSync(RELEASE_UPSTASH_LOCAL)) process.env.UPSTASH_LOCAL_BIN = RELEASE_UPSTASH_LOCAL;
const { TOKEN, freePort, startUpstashLocal } = await import("../worker/harness.mjs");
const direct = await import("./side-by-side/direct.mjs");
const wrangler = await import("./side-by-side/wrangler.mjs");

const MODES = (process.env.BENCH_MODES ?? "production,wrangler").split(",").map((m) => m.trim()).filter(Boolean);
for (const mode of MODES) if (!["production", "wrangler"].includes(mode)) throw new Error(`BENCH_MODES: unknown mode ${mode} (production, wrangler)`);
const UPSTASH_RTT_MS = nonNegative("BENCH_UPSTASH_RTT_MS", 5);
const D1_RTT_MS = nonNegative("BENCH_D1_RTT_MS", 15);
const WORKERS = [
  { id: "edgecache", title: "edgecache", dir: ROOT },
  { id: "js", title: "@upstash/redis + @upstash/ratelimit", dir: path.join(ROOT, "tests/bench/js-worker") },
];
const OUT_DIR = path.join(ROOT, "bench-results");

function nonNegative(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of milliseconds >= 0, got ${process.env[name]}`);
  return value;
}

function version(pkg) {
  return JSON.parse(readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;
}

/** Bytes of the deployed wasm, gzipped (level 9). */
function wasmGzipBytes() {
  const wasm = readdirSync(path.join(ROOT, "build"), { recursive: true }).find((name) => name.endsWith(".wasm"));
  return gzipSync(readFileSync(path.join(ROOT, "build", wasm)), { level: 9 }).length;
}

/** Deletes the Redis keys a worker wrote (cache entries and limiter windows). */
async function deleteKeys(upstash, prefix) {
  const keys = await upstash.command("KEYS", `${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await upstash.command("DEL", ...keys.slice(i, i + 500));
}

/** Both workers up in `mode`, each with its own key prefix and admin token. */
async function startWorkers(mode, upstash, seed) {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const options = (worker) => ({ upstash, token: TOKEN, prefix: `bench-${mode}-${worker.id}-${run}`, adminToken: randomBytes(24).toString("hex") });
  for (const worker of WORKERS) onCleanup(() => deleteKeys(upstash, options(worker).prefix));
  if (mode === "production") {
    const started = [];
    for (const worker of WORKERS) {
      started.push(await direct.launch(worker, { ...options(worker), seedSql: seed.sql, upstashRttMs: UPSTASH_RTT_MS, d1RttMs: D1_RTT_MS }));
    }
    return started;
  }
  const wranglerBin = path.join(ROOT, "node_modules/.bin/wrangler");
  // allSettled: neither preparation is left running on its own when the other fails.
  const prepared = await Promise.allSettled(WORKERS.map((worker) => wrangler.prepare(worker, { ...options(worker), wranglerBin, seedFile: seed.file })));
  const failed = prepared.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  // One at a time: two wrangler starts at once race for the ports freePort() picked.
  const started = [];
  for (const { value } of prepared) started.push(await wrangler.launch(value, freePort));
  return started;
}

async function runMode(mode, upstash, seed) {
  const mixes = mode === "production" ? MIXES : MIXES.filter((mix) => mix.getShare > 0);
  const clients = mode === "production" ? SETTINGS.productionClients : SETTINGS.clients;
  const settings = { ...SETTINGS, clients };
  console.log(`\n== ${mode}: ${mode === "production" ? `Miniflare directly, Upstash +${UPSTASH_RTT_MS} ms and D1 +${D1_RTT_MS} ms per round trip` : "wrangler dev, no latency injected"}`);
  const workers = await startWorkers(mode, upstash, seed);
  const byId = Object.fromEntries(workers.map((worker) => [worker.id, worker]));
  if (SETTINGS.warmupSeconds > 0) {
    for (const mix of mixes.filter((m) => m.getShare > 0)) {
      for (const worker of workers) {
        const warm = await runMix(worker, mix, 7, SETTINGS.warmupSeconds, clients);
        console.log(`[${mode}] warm-up ${mix.name.padEnd(11)} ${worker.id.padEnd(9)} hit ${(warm.hitRate * 100).toFixed(1)}%  errors ${warm.errors}`);
      }
    }
  }
  const runs = [];
  for (let round = 1; round <= SETTINGS.rounds; round++) {
    for (const [m, mix] of mixes.entries()) {
      // Who goes first alternates from mix to mix and, for each mix, from round to round.
      const order = (round + m) % 2 === 1 ? WORKER_IDS : [...WORKER_IDS].reverse();
      for (const id of order) {
        const result = await runMix(byId[id], mix, round * 1000 + m * 300, SETTINGS.seconds, clients);
        runs.push({ round, mix: mix.name, worker: id, ...result });
        console.log(
          `[${mode}] round ${round} ${mix.name.padEnd(11)} ${id.padEnd(9)} ${result.perSecond.toFixed(0).padStart(5)} req/s` +
            `  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  ${result.tripsPerRequest.toFixed(2)} trips/req  ${result.commandsPerRequest.toFixed(2)} cmds/req` +
            `  ${result.workerCpuMsPerRequest.toFixed(3)} worker CPU ms/req  hit ${(result.hitRate * 100).toFixed(1)}%  errors ${result.errors}`,
        );
        for (const sample of result.errorSamples) console.log(`  ${sample}`);
      }
    }
  }
  const cachedGets = {};
  for (const worker of workers) cachedGets[worker.id] = await cachedGetTrips(worker, popularPaths());
  const summary = summarize(runs, mixes, cachedGets);
  printTables(mode, summary, mixes, settings);
  const logged = Object.fromEntries(workers.map((worker) => [worker.id, worker.logLines()]));
  for (const worker of workers) {
    if (logged[worker.id] === 0) continue;
    console.log(`[${mode}] ${worker.id} logged ${logged[worker.id]} warning/error line(s) under load; the last:`);
    for (const line of worker.lastLogLines()) console.log(`  ${line.slice(0, 300)}`);
  }
  const record = { mode, generatedAt: new Date().toISOString(), settings, mixes, summary, cachedGets, workerLogLines: logged, runs: runs.map(({ errorSamples, ...run }) => run) };
  const versions = `@upstash/redis ${version("@upstash/redis")}, @upstash/ratelimit ${version("@upstash/ratelimit")}`;
  record.versions = { "@upstash/redis": version("@upstash/redis"), "@upstash/ratelimit": version("@upstash/ratelimit"), miniflare: version("miniflare"), wrangler: version("wrangler"), node: process.versions.node };
  let title;
  if (mode === "production") {
    record.latency = { upstashRttMs: UPSTASH_RTT_MS, d1RttMs: D1_RTT_MS };
    record.wasmGzipBytes = wasmGzipBytes();
    record.goals = goals(summary, record.wasmGzipBytes);
    console.log(`\n[production] goals (edgecache / JS, production-shaped mode)`);
    console.table(record.goals);
    title = `edgecache vs JS, production-shaped: Upstash +${UPSTASH_RTT_MS} ms, D1 +${D1_RTT_MS} ms per round trip`;
  } else {
    title = "edgecache vs JS under wrangler dev (local, no latency injected)";
  }
  const caption = [
    `Medians of ${SETTINGS.rounds} round(s) x ${SETTINGS.seconds} s per mix and worker, ${clients} closed-loop clients, Zipf s=${SETTINGS.zipfS} over ${SETTINGS.tenants} tenants.`,
    `${versions}; local stand-ins for Upstash and D1 on one shared machine: compare ratios.`,
  ];
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, `${mode}.json`), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(path.join(OUT_DIR, `${mode}.svg`), drawSvg(title, summary, mixes, caption));
  console.log(`[${mode}] wrote ${path.relative(ROOT, OUT_DIR)}/${mode}.json and ${mode}.svg`);
}

async function main() {
  if (!existsSync(path.join(ROOT, "build/index.js"))) throw new Error("build/index.js is missing: build the worker first");
  const scratch = mkdtempSync(path.join(tmpdir(), "bench-compare-"));
  onCleanup(() => rmSync(scratch, { recursive: true, force: true }));
  const seed = { sql: seedSql(SETTINGS.tenants), file: path.join(scratch, "seed.sql") };
  writeFileSync(seed.file, seed.sql);
  console.log(`[bench] upstash-local: ${process.env.UPSTASH_LOCAL_BIN ?? "target/debug/upstash-local"}; modes: ${MODES.join(", ")}`);
  const upstash = await startUpstashLocal();
  onCleanup(() => upstash.stop());
  for (const mode of MODES) {
    const mark = cleanupMark();
    await runMode(mode, upstash, seed);
    await cleanup(mark); // this mode's workers, proxies and keys; upstash-local stays for the next
  }
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  console.error(`[bench] failed: ${error.stack ?? error}`);
} finally {
  await cleanup();
}
