// Where a request's CPU goes inside workerd: a V8 CPU profile of the built
// worker's isolate while 16 clients send cached GETs (PROFILE_KIND=get, the
// default) or writes (PROFILE_KIND=put: a policy PUT, its D1 batch with the
// outbox row, its invalidation and the outbox completion), admin token,
// limits on, Upstash through upstash-local, as self time per function.
//
//   EDGECACHE_BUILD_PROFILE=worker-names npm run build   # function names in the wasm
//   node tests/bench/profile.mjs                          # PROFILE_REQUESTS=3000 PROFILE_KIND=get|put
//
// With the deployed build (no names) wasm functions show as indices. Only the
// worker's isolate is sampled: D1 and the runtime's own threads are not.
// Every figure is from this machine: compare shares, not microseconds.
import { existsSync } from "node:fs";
import path from "node:path";
import WebSocket from "ws";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const RELEASE_UPSTASH_LOCAL = path.join(ROOT, "target/release/upstash-local");
if (!process.env.UPSTASH_LOCAL_BIN && existsSync(RELEASE_UPSTASH_LOCAL)) process.env.UPSTASH_LOCAL_BIN = RELEASE_UPSTASH_LOCAL;
const { POLICY, freePort, putJson, startUpstashLocal, startWorker, upstashVars } = await import("../worker/harness.mjs");

const REQUESTS = Number(process.env.PROFILE_REQUESTS ?? 3000);
const KIND = process.env.PROFILE_KIND ?? "get";
if (!["get", "put"].includes(KIND)) throw new Error(`PROFILE_KIND must be get or put, got ${KIND}`);
const CLIENTS = 16;
const TENANTS = 20;

/** A Chrome DevTools Protocol session over `url`. */
async function devtools(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  let id = 0;
  const pending = new Map();
  ws.on("message", (message) => {
    const reply = JSON.parse(message);
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve) => {
        pending.set(++id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Self time per function (name and file) of a CDP profile, largest first. */
function selfTimes(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const samples = new Map();
  for (const id of profile.samples) samples.set(id, (samples.get(id) ?? 0) + 1);
  const byName = new Map();
  for (const [id, count] of samples) {
    const { functionName, url } = nodes.get(id).callFrame;
    const name = `${functionName || "(anonymous)"}${url ? ` [${url.split("/").pop()}]` : ""}`;
    byName.set(name, (byName.get(name) ?? 0) + count);
  }
  return [...byName].sort((a, b) => b[1] - a[1]);
}

const upstash = await startUpstashLocal();
const inspectorPort = await freePort();
const unlimited = { RATE_LIMIT_TENANT_LIMIT: "10000000", RATE_LIMIT_CLIENT_LIMIT: "10000000" };
const worker = await startWorker(upstashVars(upstash, unlimited), { inspectorPort });
try {
  const paths = Array.from({ length: TENANTS }, (_, i) => `/v1/tenants/t${i}/policy`);
  for (const p of paths) await putJson(worker, p, POLICY);
  for (const p of paths) await (await worker.fetch(p)).arrayBuffer();
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl.endsWith("/isolate-0")) ?? targets[0];
  const session = await devtools(target.webSocketDebuggerUrl);
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 100 });
  await session.send("Profiler.start");
  let sent = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      while (sent < REQUESTS) {
        const headers = { "cf-connecting-ip": `10.0.0.${c + 1}` };
        const target = paths[sent++ % TENANTS];
        if (KIND === "put") {
          const body = JSON.stringify({ ...POLICY, maxTokensPerRequest: 1 + (sent % 4096) });
          const response = await worker.fetch(target, { method: "PUT", headers: { ...headers, "content-type": "application/json" }, body });
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`);
          continue;
        }
        const response = await worker.fetch(target, { headers });
        await response.arrayBuffer();
        if (response.headers.get("x-cache") !== "hit") throw new Error(`expected hits, got ${response.status} ${response.headers.get("x-cache")}`);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const { result } = await session.send("Profiler.stop");
  session.close();
  const { profile } = result;
  const usPerSample = (profile.endTime - profile.startTime) / profile.samples.length;
  const rows = selfTimes(profile);
  const total = rows.reduce((n, [, count]) => n + count, 0);
  const idle = rows.filter(([name]) => name.startsWith("(idle)")).reduce((n, [, count]) => n + count, 0);
  console.log(`\n${REQUESTS} ${KIND === "put" ? "writes" : "cached GETs"}, ${CLIENTS} clients, ${elapsedMs.toFixed(0)} ms; the worker's isolate was busy ${(100 * (1 - idle / total)).toFixed(0)}% of it,`);
  console.log(`${(((total - idle) * usPerSample) / REQUESTS).toFixed(0)} µs of its CPU per request. Self time, largest first:`);
  console.table(
    rows
      .filter(([name]) => !name.startsWith("(idle)"))
      .slice(0, 25)
      .map(([name, count]) => ({ function: name.slice(0, 110), "share of busy": `${((100 * count) / (total - idle)).toFixed(1)}%`, "µs/request": Number(((count * usPerSample) / REQUESTS).toFixed(1)) })),
  );
} finally {
  await worker.dispose();
  await upstash.stop();
}
