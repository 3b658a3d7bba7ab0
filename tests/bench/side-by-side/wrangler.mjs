// The bench's "wrangler dev" mode: each worker served as its developers run
// it locally (`wrangler dev`: a proxy workerd in front of the worker's
// workerd), with its own local D1 seeded by wrangler and its own counting
// Upstash proxy. CPU is read per role of the group: the worker's workerd
// (with its local D1), the proxy's workerd, and wrangler (node).
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startUpstashProxy } from "../../support/upstash-proxy.mjs";
import { WRANGLER_NOTICE, onCleanup, spawnGroup, stopGroup } from "./processes.mjs";
import { allPids, procStat, processCpuMs, workerSettings } from "./workload.mjs";

function wranglerEnv() {
  // CI: no prompts. EDGECACHE_SKIP_BUILD: edgecache's [build] is a no-op (build/ is built).
  return { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", EDGECACHE_SKIP_BUILD: "1" };
}

/** Runs wrangler to completion in `cwd`; throws with its output on failure. */
async function wrangler(bin, args, cwd) {
  const child = spawnGroup(bin, args, { cwd, env: wranglerEnv() });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`wrangler ${args.join(" ")} exited with ${code}:\n${child.lines.join("\n")}`);
}

/**
 * What `worker` needs before `wrangler dev` starts: its own D1 (migrations
 * applied, seeded from `seedFile`), its counting proxy in front of
 * `upstash.url`, and its secrets in a 0600 env file.
 */
export async function prepare(worker, { wranglerBin, upstash, token, seedFile, prefix, adminToken }) {
  const state = mkdtempSync(path.join(tmpdir(), `bench-${worker.id}-`));
  onCleanup(() => rmSync(state, { recursive: true, force: true }));
  const persist = ["--persist-to", state];
  await wrangler(wranglerBin, ["d1", "migrations", "apply", "DB", "--local", ...persist], worker.dir);
  await wrangler(wranglerBin, ["d1", "execute", "DB", "--local", ...persist, "--file", seedFile, "--yes"], worker.dir);
  const proxy = await startUpstashProxy(upstash.url);
  onCleanup(() => proxy.stop());
  const envFile = path.join(state, "secrets.env");
  const settings = workerSettings({ upstashUrl: proxy.url, upstashToken: token, adminToken, prefix });
  writeFileSync(envFile, Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(""), { mode: 0o600 });
  return { ...worker, wranglerBin, persist, envFile, adminToken, prefix, proxy };
}

/**
 * Serves a prepared worker with `wrangler dev` on free ports; resolves once
 * its /health answers 200. A port taken between choosing and binding it is
 * retried on other ports.
 */
export async function launch(worker, freePort) {
  for (let attempt = 1; ; attempt++) {
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const child = spawnGroup(
      worker.wranglerBin,
      ["dev", "--ip", "127.0.0.1", "--port", port, "--inspector-port", inspectorPort, ...worker.persist,
        "--env-file", worker.envFile, "--log-level", "warn", "--show-interactive-dev-session=false"].map(String),
      { cwd: worker.dir, env: wranglerEnv() },
    );
    onCleanup(() => stopGroup(child));
    const started = { ...worker, url: `http://127.0.0.1:${port}`, child, cpuMs: () => groupCpuMs(child.pid), logLines: () => child.lineCount,
      lastLogLines: () => child.lines.filter((line) => !WRANGLER_NOTICE.test(line)).slice(-3) };
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

/**
 * CPU time so far, in ms, of every live process in the group `pgid` (one
 * worker's `wrangler dev`), by role: `worker` (the workerd that runs the
 * worker and its local D1; wrangler starts it with an inspector), `proxy`
 * (the workerd of wrangler's proxy in front of it) and `wrangler` (node).
 */
function groupCpuMs(pgid) {
  const byRole = { worker: 0, proxy: 0, wrangler: 0 };
  for (const pid of allPids()) {
    const stat = procStat(pid);
    if (!stat || Number(stat.fields[2]) !== pgid) continue;
    const { cmdline } = stat;
    const role = !cmdline.includes("workerd") ? "wrangler" : cmdline.includes("--inspector-addr") ? "worker" : "proxy";
    byRole[role] += processCpuMs(pid);
  }
  return byRole;
}
