// The side-by-side bench's workload, shared by both of its modes (wrangler.mjs
// and direct.mjs serve the workers; this file loads them).
//
// Shaped on Twitter's production cache study (Yang et al., OSDI 2020): Zipf
// popularity (s = 1) over BENCH_TENANTS tenants, small values (a few hundred
// bytes), a read-heavy (95% GET) and a write-heavy (70% GET) mix, plus a
// writes-only mix that prices a write on its own; BENCH_CLIENTS closed-loop
// clients, each with its own CF-Connecting-IP.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { quantile, runClosedLoop, seededRandom, zipf } from "../../load/workload.mjs";

export const SETTINGS = {
  rounds: positive("BENCH_ROUNDS", 3),
  seconds: positive("BENCH_SECONDS", 10),
  warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? process.env.BENCH_SECONDS ?? 10),
  clients: positive("BENCH_CLIENTS", 16),
  // The production-shaped mode's clients: few enough that this 2-core
  // machine (load, proxies, both runtimes, D1 and Redis) is not the
  // bottleneck, so the injected round trips set the pace, as they do in
  // production, where each isolate has a CPU of its own.
  productionClients: positive("BENCH_PRODUCTION_CLIENTS", 4),
  tenants: positive("BENCH_TENANTS", 2000),
  zipfS: 1.0,
  ttlSeconds: 300,
};
export const MIXES = [
  { name: "read-heavy", label: "read-heavy (95% GET / 5% PUT)", short: "read-heavy 95/5", getShare: 0.95 },
  { name: "write-heavy", label: "write-heavy (70% GET / 30% PUT)", short: "write-heavy 70/30", getShare: 0.7 },
  { name: "writes", label: "writes only (100% PUT): what one write costs", short: "writes only", getShare: 0 },
];
// Shares of the three resources, for GETs and PUTs alike.
export const RESOURCES = [
  ["policy", 0.4],
  ["tenant config", 0.3],
  ["user config", 0.3],
];
const USERS_PER_TENANT = 4; // u0..u3; every 10th tenant has overrides for u0 and u1
const MODELS = ["gpt-4o-mini-2026-01", "claude-haiku-5", "llama-4-scout-17b", "mistral-small-2601", "gemini-3-flash"];
const WORDS = "answer briefly cite sources prefer tables avoid jargon keep context summarize decisions ask before acting".split(" ");

function positive(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${process.env[name]}`);
  return value;
}

/** The settings both workers run with (TTL 300 s; limits checked, never reached). */
export function workerSettings({ upstashUrl, upstashToken, adminToken, prefix }) {
  return {
    UPSTASH_REDIS_REST_URL: upstashUrl,
    UPSTASH_REDIS_REST_TOKEN: upstashToken,
    ADMIN_TOKEN: adminToken,
    // edgecache signs API keys with it (else it warns once and derives one from ADMIN_TOKEN).
    API_KEY_SECRET: randomBytes(32).toString("hex"),
    CACHE_KEY_PREFIX: prefix,
    CACHE_TTL_POLICY_SECONDS: String(SETTINGS.ttlSeconds),
    CACHE_TTL_CONFIG_SECONDS: String(SETTINGS.ttlSeconds),
    RATE_LIMIT_ALGORITHM: "sliding-window",
    RATE_LIMIT_CLIENT_LIMIT: "1000000",
    RATE_LIMIT_TENANT_LIMIT: "1000000",
  };
}

/** SQL for `tenants` tenants: a policy and a tenant default each, overrides for some users. */
export function seedSql(tenants) {
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

export function tenantId(rank) {
  return `t${String(rank).padStart(5, "0")}`;
}

/** A system prompt of about 200 characters. */
function prompt(random) {
  const words = [];
  while (words.join(" ").length < 200) words.push(WORDS[Math.floor(random() * WORDS.length)]);
  return words.join(" ");
}

function pickResource(random) {
  let roll = random();
  for (const [name, share] of RESOURCES) {
    if ((roll -= share) < 0) return name;
  }
  return RESOURCES.at(-1)[0];
}

export function pathOf(resource, tenant, user) {
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
  const tenantRank = zipf(SETTINGS.tenants, SETTINGS.zipfS, random);
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

/** The fields of /proc/<pid>/stat after "pid (comm) ", and the command line; null once gone. */
export function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return { fields: stat.slice(stat.lastIndexOf(")") + 2).split(" "), cmdline };
  } catch {
    return null;
  }
}

/** CPU time so far (user + system), in ms, of the process `pid`; 0 once gone. */
export function processCpuMs(pid) {
  const stat = procStat(pid);
  return stat ? ((Number(stat.fields[11]) + Number(stat.fields[12])) * 1000) / CLOCK_TICKS_PER_S : 0;
}

/** The live processes' ids. */
export function allPids() {
  return readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
}

/**
 * One mix against one `worker` for `seconds`: one closed-loop client per IP,
 * merged. `worker` gives `url`, `adminToken`, `proxy` (the counting Upstash
 * proxy), `cpuMs()` (CPU so far by role; `worker` is the isolate's process)
 * and, in the direct mode, `d1()` (D1's tallies, reset by `d1(true)`).
 */
export async function runMix(worker, mix, seed, seconds = SETTINGS.seconds, clients = SETTINGS.clients) {
  const cacheStatus = {};
  worker.proxy.reset();
  await worker.d1?.(true);
  const cpuBefore = worker.cpuMs();
  const parts = await Promise.all(
    Array.from({ length: clients }, (_, i) =>
      runClosedLoop({
        clients: 1,
        durationMs: seconds * 1000,
        nextRequest: clientRequests(worker, mix, `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, seed + i, cacheStatus),
      }),
    ),
  );
  const cpuAfter = worker.cpuMs();
  const restRequests = worker.proxy.requests();
  const commands = worker.proxy.commands();
  const d1 = (await worker.d1?.()) ?? null;
  const cpuMs = Object.fromEntries(Object.keys(cpuAfter).map((role) => [role, cpuAfter[role] - (cpuBefore[role] ?? 0)]));
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
  const perRequest = (n) => n / requests;
  return {
    requests,
    elapsedS,
    perSecond: requests / elapsedS,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    restRequests,
    tripsPerRequest: perRequest(restRequests),
    commandsPerRequest: perRequest(commands),
    d1TripsPerRequest: d1 ? perRequest(d1.roundTrips) : NaN,
    rowsReadPerRequest: d1 ? perRequest(d1.rowsRead) : NaN,
    rowsWrittenPerRequest: d1 ? perRequest(d1.rowsWritten) : NaN,
    cpuMsPerRequest: perRequest(Object.values(cpuMs).reduce((a, b) => a + b, 0)),
    workerCpuMsPerRequest: perRequest(cpuMs.worker ?? 0),
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
export async function cachedGetTrips(worker, paths) {
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

/** The most popular tenants' three GET routes. */
export function popularPaths() {
  return Array.from({ length: 20 }, (_, rank) => tenantId(rank)).flatMap((tenant) => RESOURCES.map(([resource]) => pathOf(resource, tenant, "u0")));
}
