// The bench's production-shaped mode: each worker served by Miniflare
// directly (its own workerd process, no wrangler proxy in front, so the CPU
// read is the worker's own, with its local D1), and every round trip paying
// a network's latency, the same for both workers:
// - Upstash: the counting proxy holds each REST request BENCH_UPSTASH_RTT_MS
//   before forwarding it;
// - D1: latency-entry.mjs, loaded as the worker's entry, waits
//   BENCH_D1_RTT_MS before each D1 round trip and tallies D1's billed rows.
// The JS worker is bundled with esbuild, as wrangler would.
import { readFileSync, readdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { COMPATIBILITY_DATE, ROOT, migrate } from "../../worker/harness.mjs";
import { startUpstashProxy } from "../../support/upstash-proxy.mjs";
import { onCleanup } from "./processes.mjs";
import { allPids, procStat, processCpuMs, workerSettings } from "./workload.mjs";

const ENTRY = readFileSync(new URL("./latency-entry.mjs", import.meta.url), "utf8");

/** The modules of edgecache's built worker (build/), its index.js as "worker.js". */
function edgecacheModules(dir) {
  const modules = [];
  for (const name of readdirSync(dir, { recursive: true })) {
    const file = path.join(dir, name);
    const as = name === "index.js" ? "worker.js" : name;
    if (name.endsWith(".js") || name.endsWith(".mjs")) modules.push({ type: "ESModule", path: path.join(dir, as), contents: readFileSync(file, "utf8") });
    else if (name.endsWith(".wasm")) modules.push({ type: "CompiledWasm", path: path.join(dir, as), contents: readFileSync(file) });
  }
  return modules;
}

/** The JS worker, bundled into one module ("worker.js"). */
async function bundledModules(dir) {
  const result = await build({
    entryPoints: [path.join(dir, "src/index.js")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    write: false,
    logLevel: "warning",
  });
  return [{ type: "ESModule", path: path.join(dir, "worker.js"), contents: result.outputFiles[0].text }];
}

/** The workerd processes alive now. */
function workerdPids() {
  return new Set(allPids().filter((pid) => procStat(pid)?.cmdline.includes("workerd")));
}

/** Statements of a seed file: each INSERT ends with ";" at the end of a line. */
function statements(sql) {
  return sql.split(/;\s*\n/).map((s) => s.trim().replace(/;$/, "")).filter(Boolean);
}

/**
 * Serves `worker` (`{ id, title, dir }`) in a Miniflare of its own, with a
 * fresh D1 (migrations applied, seeded from `seedSql`) and a counting proxy
 * holding every Upstash request `upstashRttMs`. Answers the handle runMix
 * takes (`url`, `adminToken`, `proxy`, `cpuMs()`, `d1(reset)`, `stop()`).
 */
export async function launch(worker, { upstash, token, seedSql, prefix, adminToken, upstashRttMs, d1RttMs }) {
  const proxy = await startUpstashProxy(upstash.url, { delayMs: upstashRttMs });
  onCleanup(() => proxy.stop());
  const persist = mkdtempSync(path.join(tmpdir(), `bench-direct-${worker.id}-`));
  onCleanup(() => rmSync(persist, { recursive: true, force: true }));
  const code = worker.id === "edgecache" ? edgecacheModules(path.join(ROOT, "build")) : await bundledModules(worker.dir);
  const root = path.dirname(code[0].path);
  const before = workerdPids();
  const logs = []; // the worker's warnings and errors
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: path.join(root, "entry.mjs"), contents: ENTRY }, ...code],
    modulesRoot: root,
    compatibilityDate: COMPATIBILITY_DATE,
    d1Databases: { DB: `bench-${worker.id}` },
    d1Persist: persist,
    bindings: { ...workerSettings({ upstashUrl: proxy.url, upstashToken: token, adminToken, prefix }), BENCH_D1_RTT_MS: String(d1RttMs) },
    // console.warn and console.error reach stderr; console.log (the request
    // log, info lines) stdout, which is drained and not kept.
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.setEncoding("utf8");
      stderr.on("data", (chunk) => logs.push(...chunk.split("\n").filter(Boolean)));
    },
  });
  onCleanup(() => mf.dispose());
  const url = (await mf.ready).origin;
  const pids = [...workerdPids()].filter((pid) => !before.has(pid));
  if (pids.length === 0) throw new Error(`${worker.title}: no workerd process of its own found`);
  const db = await mf.getD1Database("DB");
  await migrate(db, ROOT);
  const seed = statements(seedSql);
  for (let i = 0; i < seed.length; i += 20) await db.batch(seed.slice(i, i + 20).map((s) => db.prepare(s)));
  const handle = {
    ...worker,
    url: url.replace(/\/$/, ""),
    adminToken,
    prefix,
    proxy,
    cpuMs: () => ({ worker: pids.reduce((ms, pid) => ms + processCpuMs(pid), 0) }),
    // Warnings and errors (stderr).
    logLines: () => logs.length,
    lastLogLines: () => logs.slice(-3),
    async d1(reset = false) {
      const response = await fetch(`${handle.url}/__bench/d1${reset ? "?reset" : ""}`);
      return response.json();
    },
  };
  const health = await fetch(`${handle.url}/health`);
  if (!health.ok) throw new Error(`${worker.title} is not healthy: ${health.status} ${await health.text()}\n${logs.join("\n")}`);
  return handle;
}
