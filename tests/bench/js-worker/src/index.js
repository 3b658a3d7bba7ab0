// The JS baseline of `npm run bench`'s side-by-side comparison
// (tests/bench/compare.mjs): edgecache's reference routes (src/app/) written
// the way a Workers team would write them today, with @upstash/redis and
// @upstash/ratelimit, over the same D1 schema (migrations/), with the same
// JSON shapes and the same validation.
//
// Conventions:
// - Cache-aside, TTL CACHE_TTL_POLICY_SECONDS / CACHE_TTL_CONFIG_SECONDS
//   (default 300): GET the key; on a miss read D1 and SET it with EX. A write
//   goes to D1, then DELs its key. A missing row is cached as `false`, so a
//   404 can be a hit too; the DEL after a write clears it like any value.
// - Keys: `{CACHE_KEY_PREFIX}:policy:{tenant}`, `…:config:{tenant}` (the
//   tenant default), `…:override:{tenant}:{user}`; limiters under `…:rl:client`
//   and `…:rl:tenant`.
// - A user's config is the override over the tenant default, field by field,
//   resolved here from one MGET of both keys, so writing a default deletes
//   only its own key.
// - Redis errors never fail a request: a failed read falls back to D1, a
//   failed SET or DEL is logged (after a failed DEL the old value is served
//   until its TTL runs out). The limiters fail open: an error, or the
//   library's timeout, lets the request through.
// - Every /v1 route needs `Authorization: Bearer <ADMIN_TOKEN>`: 401 without a
//   bearer token, 403 with another. Checked before the limits, so requests
//   without the token do not use up a tenant's quota.
// - Library defaults are kept. @upstash/redis 1.39.0: auto-pipelining on
//   (commands issued in the same tick share one POST /pipeline; reads and
//   writes go in separate pipelines), 5 retries with a 50 ms * e^n backoff on
//   network errors only (an HTTP error is thrown at once), no request
//   timeout, base64 responses, the read-your-writes sync token.
//   @upstash/ratelimit 2.2.0: EVALSHA, then EVAL on NOSCRIPT; a 5 s timeout
//   that answers success (the call is not aborted); an in-memory cache of
//   blocked identifiers (module-scope Maps, as its docs show); no analytics.
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";

const MAX_BODY_BYTES = 64 * 1024;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const DEFAULT_TTL_SECONDS = 300;
// Per 60 s: large, so the benchmark measures the checks, not refusals.
const DEFAULT_LIMIT = 1_000_000;
const POLICY_FIELDS = ["defaultModel", "allowedModels", "maxTokensPerRequest"];
const CONFIG_FIELDS = ["systemPrompt", "temperature", "maxTurns"];
const CONFIG_COLUMNS = "tenant_id, user_id, system_prompt, temperature, max_turns, updated_at_ms";

// Identifiers each limiter has seen blocked, kept across this isolate's requests.
const blocked = { client: new Map(), tenant: new Map() };

// Path patterns and their handlers by method. Ids may be empty here so that
// they are refused with a 400, as edgecache does.
const ROUTES = [
  [/^\/v1\/tenants\/(?<tenant>[^/]*)\/policy$/, { GET: getPolicy, PUT: putPolicy }],
  [/^\/v1\/tenants\/(?<tenant>[^/]*)\/conversation-config$/, { GET: getTenantConfig, PUT: putConfig }],
  [/^\/v1\/tenants\/(?<tenant>[^/]*)\/users\/(?<user>[^/]*)\/conversation-config$/, { GET: getUserConfig, PUT: putConfig }],
];

/** A failed request: answered as `{"error": message}` with `status`. */
class HttpError extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

const badRequest = (message) => new HttpError(400, message);

function json(body, status = 200, headers = {}) {
  return Response.json(body, { status, headers });
}

export default {
  async fetch(request, env, ctx) {
    try {
      return await handle(request, env, ctx);
    } catch (error) {
      if (error instanceof HttpError) return json({ error: error.message }, error.status, error.headers);
      console.error(error);
      return json({ error: `internal error: ${error.message}` }, 500);
    }
  },
};

async function handle(request, env, ctx) {
  const { pathname } = new URL(request.url);
  const method = request.method === "HEAD" ? "GET" : request.method;
  const redis = Redis.fromEnv(env);
  const api = pathname !== "/health"; // /health: no token, no limits
  const [handlers, params] = api ? route(pathname) : [{ GET: health }, {}];
  if (!handlers[method]) {
    const allow = handlers.PUT ? "GET, HEAD, PUT" : "GET, HEAD";
    throw new HttpError(405, `method ${request.method} not allowed here; allowed: ${allow}`, { allow });
  }
  if (api) {
    await authorize(request, env);
    const refused = await admit(redis, env, ctx, request.headers.get("cf-connecting-ip") ?? "unknown", params.tenant);
    if (refused) return refused;
  }
  return handlers[method]({ request, env, redis, db: env.DB, ...params });
}

/** The handlers of `pathname` and its ids: 404 for no route, 400 for a bad id. */
function route(pathname) {
  for (const [pattern, handlers] of ROUTES) {
    const match = pattern.exec(pathname);
    if (!match) continue;
    const params = { ...match.groups };
    for (const [param, id] of Object.entries(params)) {
      if (!ID.test(id)) throw badRequest(`${param} id must match [A-Za-z0-9_-]{1,64}, got ${JSON.stringify(id.slice(0, 80))}`);
    }
    return [handlers, params];
  }
  throw new HttpError(404, `no route for ${pathname}`);
}

async function health({ redis }) {
  const started = Date.now();
  try {
    await redis.ping();
    return json({ healthy: true, backend: "upstash", latencyMs: Date.now() - started });
  } catch (error) {
    return json({ healthy: false, backend: "upstash", latencyMs: Date.now() - started, error: error.message }, 503);
  }
}

// --- Authorization and rate limits -----------------------------------------

async function authorize(request, env) {
  const bearer = /^Bearer +(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  if (!bearer) throw new HttpError(401, "missing bearer token", { "www-authenticate": "Bearer" });
  if (!env.ADMIN_TOKEN) throw new HttpError(500, "ADMIN_TOKEN is not set");
  if (!(await sameSecret(bearer[1], env.ADMIN_TOKEN))) throw new HttpError(403, "this token may not use this route");
}

/** Compares SHA-256 digests in constant time, so neither length nor content leaks. */
async function sameSecret(presented, expected) {
  const digest = (text) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

function positiveInt(env, name, fallback) {
  if (env[name] === undefined || env[name] === "") return fallback;
  const value = Number(env[name]);
  if (!Number.isSafeInteger(value) || value < 1) throw new HttpError(500, `${name} must be a positive integer`);
  return value;
}

/** Both limits, checked at once; a 429 when one refuses, null to go on. Fails open. */
async function admit(redis, env, ctx, ip, tenant) {
  const limiter = (name, limit) =>
    new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(limit, "60 s"),
      prefix: key(env, "rl", name),
      ephemeralCache: blocked[name],
    });
  const client = limiter("client", positiveInt(env, "RATE_LIMIT_CLIENT_LIMIT", DEFAULT_LIMIT));
  const perTenant = limiter("tenant", positiveInt(env, "RATE_LIMIT_TENANT_LIMIT", DEFAULT_LIMIT));
  let results;
  try {
    results = await Promise.all([client.limit(ip), perTenant.limit(tenant)]);
  } catch (error) {
    console.warn(`rate limit check failed, allowing the request: ${error.message}`);
    return null;
  }
  for (const { pending } of results) ctx.waitUntil(pending);
  const refused = results.find((result) => !result.success);
  if (!refused) return null;
  const retryAfterMs = Math.max(0, refused.reset - Date.now());
  return json({ error: "rate limit exceeded", retryAfterMs, reason: refused.reason ?? "none" }, 429, {
    "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  });
}

// --- Cache-aside -------------------------------------------------------------

function key(env, ...parts) {
  return [env.CACHE_KEY_PREFIX ?? "js-baseline", ...parts].join(":");
}

function ttl(env, name) {
  return positiveInt(env, `CACHE_TTL_${name}_SECONDS`, DEFAULT_TTL_SECONDS);
}

/**
 * Reads `entries` (`[key, load]` pairs) with one GET or MGET; each miss is
 * loaded and SET with EX `ttlSeconds`. Answers the values (null for absent
 * rows) and `hit` when every key was cached.
 */
async function readThrough(redis, ttlSeconds, entries) {
  const keys = entries.map(([k]) => k);
  let cached = keys.map(() => null);
  try {
    cached = keys.length === 1 ? [await redis.get(keys[0])] : await redis.mget(...keys);
  } catch (error) {
    console.warn(`cache read failed, reading D1: ${error.message}`);
  }
  const values = await Promise.all(entries.map(([, load], i) => cached[i] ?? load()));
  const misses = keys.flatMap((k, i) => (cached[i] === null ? [i] : []));
  await Promise.all(
    misses.map((i) =>
      redis.set(keys[i], values[i] ?? false, { ex: ttlSeconds }).catch((error) => {
        console.warn(`cache write of ${keys[i]} failed: ${error.message}`);
      }),
    ),
  );
  return { values: values.map((value) => value || null), status: misses.length === 0 ? "hit" : "miss" };
}

async function invalidate(redis, cacheKey) {
  try {
    await redis.del(cacheKey);
  } catch (error) {
    console.warn(`cache delete of ${cacheKey} failed, it stays until its TTL: ${error.message}`);
  }
}

function cachedResponse(value, status, notFound) {
  return value ? json(value, 200, { "x-cache": status }) : json({ error: notFound }, 404, { "x-cache": status });
}

// --- Routes --------------------------------------------------------------------

async function getPolicy({ env, redis, db, tenant }) {
  const { values, status } = await readThrough(redis, ttl(env, "POLICY"), [
    [key(env, "policy", tenant), () => readPolicy(db, tenant)],
  ]);
  return cachedResponse(values[0], status, `no policy for tenant ${tenant}`);
}

async function putPolicy({ request, env, redis, db, tenant }) {
  const policy = { tenantId: tenant, ...parsePolicy(await readBody(request)), updatedAtMs: Date.now() };
  await db
    .prepare(
      `INSERT INTO tenant_llm_policies (tenant_id, default_model, allowed_models, max_tokens_per_request, updated_at_ms)
       VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT(tenant_id) DO UPDATE SET default_model = excluded.default_model,
         allowed_models = excluded.allowed_models, max_tokens_per_request = excluded.max_tokens_per_request,
         updated_at_ms = excluded.updated_at_ms`,
    )
    .bind(tenant, policy.defaultModel, JSON.stringify(policy.allowedModels), policy.maxTokensPerRequest, policy.updatedAtMs)
    .run();
  await invalidate(redis, key(env, "policy", tenant));
  return json(policy);
}

async function getTenantConfig({ env, redis, db, tenant }) {
  const { values, status } = await readThrough(redis, ttl(env, "CONFIG"), [
    [key(env, "config", tenant), () => readConfig(db, tenant, "")],
  ]);
  return cachedResponse(values[0], status, `no conversation config for tenant ${tenant}`);
}

async function getUserConfig({ env, redis, db, tenant, user }) {
  const { values, status } = await readThrough(redis, ttl(env, "CONFIG"), [
    [key(env, "config", tenant), () => readConfig(db, tenant, "")],
    [key(env, "override", tenant, user), () => readConfig(db, tenant, user)],
  ]);
  const [tenantDefault, userOverride] = values;
  const resolved = (tenantDefault || userOverride) && {
    tenantId: tenant,
    userId: user,
    systemPrompt: userOverride?.systemPrompt ?? tenantDefault?.systemPrompt,
    temperature: userOverride?.temperature ?? tenantDefault?.temperature,
    maxTurns: userOverride?.maxTurns ?? tenantDefault?.maxTurns,
    hasTenantDefault: Boolean(tenantDefault),
    hasUserOverride: Boolean(userOverride),
  };
  return cachedResponse(resolved, status, `no conversation config for tenant ${tenant} or user ${user}`);
}

/** Writes a tenant default (no `user`) or a user override, then deletes its cache key. */
async function putConfig({ request, env, redis, db, tenant, user = "" }) {
  const fields = parseConfig(await readBody(request));
  const config = { tenantId: tenant, userId: user || undefined, ...fields, updatedAtMs: Date.now() };
  await db
    .prepare(
      `INSERT INTO conversation_configs (${CONFIG_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
       ON CONFLICT(tenant_id, user_id) DO UPDATE SET system_prompt = excluded.system_prompt,
         temperature = excluded.temperature, max_turns = excluded.max_turns, updated_at_ms = excluded.updated_at_ms`,
    )
    .bind(tenant, user, fields.systemPrompt ?? null, fields.temperature ?? null, fields.maxTurns ?? null, config.updatedAtMs)
    .run();
  await invalidate(redis, user ? key(env, "override", tenant, user) : key(env, "config", tenant));
  return json(config);
}

// --- D1 --------------------------------------------------------------------------

async function readPolicy(db, tenant) {
  const row = await db
    .prepare(
      `SELECT tenant_id, default_model, allowed_models, max_tokens_per_request, updated_at_ms
       FROM tenant_llm_policies WHERE tenant_id = ?1`,
    )
    .bind(tenant)
    .first();
  return (
    row && {
      tenantId: row.tenant_id,
      defaultModel: row.default_model,
      allowedModels: JSON.parse(row.allowed_models),
      maxTokensPerRequest: row.max_tokens_per_request,
      updatedAtMs: row.updated_at_ms,
    }
  );
}

/** A tenant default (`user` "") or a user override; fields that are NULL are left out. */
async function readConfig(db, tenant, user) {
  const row = await db
    .prepare(`SELECT ${CONFIG_COLUMNS} FROM conversation_configs WHERE tenant_id = ?1 AND user_id = ?2`)
    .bind(tenant, user)
    .first();
  return (
    row && {
      tenantId: row.tenant_id,
      userId: row.user_id || undefined,
      systemPrompt: row.system_prompt ?? undefined,
      temperature: row.temperature ?? undefined,
      maxTurns: row.max_turns ?? undefined,
      updatedAtMs: row.updated_at_ms,
    }
  );
}

// --- Request bodies ----------------------------------------------------------------

/** The body as text: 415 for a content-type that is not JSON, 413 past 64 KiB (also while streaming). */
async function readBody(request) {
  const type = request.headers.get("content-type");
  if (type !== null && !type.toLowerCase().startsWith("application/json")) {
    throw new HttpError(415, `content-type must be application/json, got ${JSON.stringify(type)}`);
  }
  const tooLarge = new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
  if (Number(request.headers.get("content-length")) > MAX_BODY_BYTES) throw tooLarge;
  const chunks = [];
  let size = 0;
  for await (const chunk of request.body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw tooLarge;
    chunks.push(chunk);
  }
  return new Blob(chunks).text();
}

/** A JSON object whose keys are all in `fields`; 400 otherwise. */
function parseObject(text, what, fields) {
  let body;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badRequest(`invalid ${what} body: ${error.message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    const kind = Array.isArray(body) ? "an array" : body === null ? "null" : `a ${typeof body}`;
    throw badRequest(`invalid ${what} body: expected a JSON object, got ${kind}`);
  }
  const unknown = Object.keys(body).find((field) => !fields.includes(field));
  if (unknown !== undefined) throw badRequest(`invalid ${what} body: unknown field \`${unknown}\`, expected one of ${fields.map((f) => `\`${f}\``).join(", ")}`);
  return body;
}

function expectType(what, field, ok, expected) {
  if (!ok) throw badRequest(`invalid ${what} body: invalid type: ${field} must be ${expected}`);
}

function checkModel(field, model) {
  const chars = [...model];
  if (chars.length === 0 || chars.length > 128 || /\p{Cc}/u.test(model) || model.trim() !== model) {
    throw badRequest(
      `${field}: a model name is 1 to 128 printable characters without surrounding spaces, got ${JSON.stringify(chars.slice(0, 40).join(""))}`,
    );
  }
}

/** `{"defaultModel","allowedModels","maxTokensPerRequest"}`, every field required. */
function parsePolicy(text) {
  const body = parseObject(text, "policy", POLICY_FIELDS);
  const missing = POLICY_FIELDS.find((field) => !(field in body));
  if (missing) throw badRequest(`invalid policy body: missing field \`${missing}\``);
  const { defaultModel, allowedModels, maxTokensPerRequest } = body;
  expectType("policy", "defaultModel", typeof defaultModel === "string", "a string");
  expectType("policy", "allowedModels", Array.isArray(allowedModels) && allowedModels.every((m) => typeof m === "string"), "an array of strings");
  expectType("policy", "maxTokensPerRequest", Number.isInteger(maxTokensPerRequest), "an integer");
  checkModel("defaultModel", defaultModel);
  if (allowedModels.length < 1 || allowedModels.length > 100) {
    throw badRequest(`allowedModels must list 1 to 100 models, got ${allowedModels.length}`);
  }
  allowedModels.forEach((model, i) => {
    checkModel("allowedModels", model);
    if (allowedModels.indexOf(model) < i) throw badRequest(`allowedModels lists ${JSON.stringify(model)} twice`);
  });
  if (!allowedModels.includes(defaultModel)) {
    throw badRequest(`defaultModel ${JSON.stringify(defaultModel)} must be one of allowedModels`);
  }
  if (maxTokensPerRequest < 1 || maxTokensPerRequest > 10_000_000) {
    throw badRequest(`maxTokensPerRequest must be between 1 and 10000000, got ${maxTokensPerRequest}`);
  }
  return { defaultModel, allowedModels, maxTokensPerRequest };
}

/** `{"systemPrompt"?, "temperature"? 0..2, "maxTurns"? 1..1000}`; null means absent. */
function parseConfig(text) {
  const { systemPrompt, temperature, maxTurns } = parseObject(text, "conversation config", CONFIG_FIELDS);
  const what = "conversation config";
  expectType(what, "systemPrompt", systemPrompt == null || typeof systemPrompt === "string", "a string");
  expectType(what, "temperature", temperature == null || typeof temperature === "number", "a number");
  expectType(what, "maxTurns", maxTurns == null || Number.isInteger(maxTurns), "an integer");
  if (systemPrompt != null && [...systemPrompt].length > 8000) throw badRequest("systemPrompt exceeds 8000 characters");
  if (temperature != null && !(temperature >= 0 && temperature <= 2)) {
    throw badRequest(`temperature must be between 0 and 2, got ${temperature}`);
  }
  if (maxTurns != null && !(maxTurns >= 1 && maxTurns <= 1000)) {
    throw badRequest(`maxTurns must be between 1 and 1000, got ${maxTurns}`);
  }
  return { systemPrompt: systemPrompt ?? undefined, temperature: temperature ?? undefined, maxTurns: maxTurns ?? undefined };
}
