// A user's worker (examples/user-worker: a crate of its own depending on
// edgecache with default features), built with worker-build
// (scripts/build-user-worker.sh) and run in Miniflare with a local D1 and
// upstash-local: its cached store, its limiter and its webhook dedup work,
// and its wasm exports its own handler only (edgecache brings none).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import esbuild from "esbuild";
import { ROOT, TOKEN, startUpstashLocal, startWorker, unique } from "../worker/harness.mjs";

const CRATE = path.join(ROOT, "examples/user-worker");
const BUILD = path.join(CRATE, "build");
const LIMIT = 5;
if (!existsSync(path.join(BUILD, "index.js"))) throw new Error(`${BUILD} is missing: run scripts/build-user-worker.sh`);

let nextClient = 1;
/** A client address no other test uses: each test spends its own quota. */
const newClient = () => `198.51.100.${nextClient++}`;
const as = (ip, init = {}) => ({ ...init, headers: { ...(init.headers ?? {}), "CF-Connecting-IP": ip } });
const putUser = (body) => ({ method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("a user's worker over edgecache, in Miniflare", () => {
  let upstash, worker, prefix;
  before(async () => {
    upstash = await startUpstashLocal();
    prefix = unique("uw");
    const vars = {
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: TOKEN,
      KEY_PREFIX: prefix,
      USER_LIMIT: String(LIMIT),
      ADMIN_TOKEN: null,
    };
    worker = await startWorker(vars, { root: CRATE });
  });
  after(async () => {
    await worker?.dispose();
    await upstash?.stop();
  });
  const get = (ip, pathname, init) => worker.anonymous(pathname, as(ip, init));
  const seed = (id, user) => worker.db.prepare("INSERT INTO users (id, body) VALUES (?1, ?2)").bind(id, JSON.stringify(user)).run();

  test("GET /users/{id}: a miss loads D1's row and caches it in Upstash, the next read is a hit", async () => {
    const ip = newClient();
    await seed("ada", { name: "Ada" });
    const first = await get(ip, "/users/ada");
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("x-cache"), "miss");
    assert.deepEqual(await first.json(), { name: "Ada" });
    const keys = await upstash.command("KEYS", `${prefix}:accounts:user:*`);
    assert.ok(keys.includes(`${prefix}:accounts:user:ada`), `the entry was written back to Upstash: ${keys}`);

    const second = await get(ip, "/users/ada");
    assert.equal(second.status, 200);
    assert.equal(second.headers.get("x-cache"), "hit");
    assert.deepEqual(await second.json(), { name: "Ada" });

    const nobody = await get(ip, "/users/nobody");
    assert.equal(nobody.status, 404);
    assert.equal(nobody.headers.get("x-cache"), "miss");
  });

  test("PUT /users/{id} writes D1 and invalidates: the next GET reads the new value", async () => {
    const ip = newClient();
    await seed("grace", { name: "Grace" });
    assert.equal((await get(ip, "/users/grace")).headers.get("x-cache"), "miss");
    assert.equal((await get(ip, "/users/grace")).headers.get("x-cache"), "hit", "cached before the write");

    const put = await get(ip, "/users/grace", putUser({ name: "Grace Hopper" }));
    assert.equal(put.status, 200);
    assert.deepEqual(await put.json(), { name: "Grace Hopper" });
    const row = await worker.db.prepare("SELECT body FROM users WHERE id = ?1").bind("grace").first();
    assert.deepEqual(JSON.parse(row.body), { name: "Grace Hopper" }, "D1 has the write");

    const after = await get(ip, "/users/grace");
    assert.equal(after.status, 200);
    assert.equal(after.headers.get("x-cache"), "miss", "the write invalidated the cached entry");
    assert.deepEqual(await after.json(), { name: "Grace Hopper" });
    // Five requests: this client's whole quota, so the limit test's client is another.
  });

  test(`the ${LIMIT + 1}th request of a client within a minute is refused with 429 and RateLimit headers`, async () => {
    const ip = newClient();
    for (let i = 1; i <= LIMIT; i++) {
      const allowed = await get(ip, "/users/nobody");
      assert.equal(allowed.status, 404, `request ${i} passes the limit`);
      const [, remaining] = /^"client";r=(\d+);t=\d+$/.exec(allowed.headers.get("RateLimit")) ?? [];
      assert.equal(Number(remaining), LIMIT - i, `RateLimit: ${allowed.headers.get("RateLimit")}`);
      assert.equal(allowed.headers.get("RateLimit-Policy"), `"client";q=${LIMIT};w=60`);
      assert.equal(allowed.headers.get("Retry-After"), null);
    }
    const refused = await get(ip, "/users/ada");
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("x-cache"), null, "a refused request reads nothing");
    const [, remaining, resetSecs] = /^"client";r=(\d+);t=(\d+)$/.exec(refused.headers.get("RateLimit")) ?? [];
    assert.equal(remaining, "0", refused.headers.get("RateLimit"));
    assert.ok(Number(resetSecs) >= 1 && Number(resetSecs) <= 60, `t=${resetSecs}`);
    assert.equal(refused.headers.get("RateLimit-Policy"), `"client";q=${LIMIT};w=60`);
    const retryAfter = Number(refused.headers.get("Retry-After"));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);

    const other = await get(newClient(), "/users/nobody");
    assert.equal(other.status, 404, "the limit is per client");
  });

  test("POST /webhooks/{id}: 202 for the first delivery, 200 for a duplicate", async () => {
    const ip = newClient();
    const deliver = (id) => get(ip, `/webhooks/${id}`, { method: "POST" });
    const first = await deliver("evt_1");
    assert.equal(first.status, 202);
    assert.deepEqual(await first.json(), { status: "accepted" });
    const again = await deliver("evt_1");
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { status: "duplicate" });
    assert.equal((await deliver("evt_2")).status, 202, "another delivery id is its own");
    assert.equal((await upstash.command("KEYS", `${prefix}:~dedup:webhooks:*`)).length, 2, "claims live in Upstash");
  });

  test("any other route is 404", async () => {
    assert.equal((await get(newClient(), "/admin/stats")).status, 404);
    assert.equal((await get(newClient(), "/users/ada", { method: "DELETE" })).status, 404);
  });
});

/**
 * The names a wasm module exports, read from its export section. Node 20
 * cannot compile this wasm (it uses exception-handling opcodes V8 11 lacks),
 * so the section is read directly; where `WebAssembly.Module` can compile it
 * (Node 22), its `exports` must agree.
 */
function wasmExports(bytes) {
  let at = 8; // past the magic number and version
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return value;
    }
  };
  const names = [];
  while (at < bytes.length) {
    const [id, size] = [bytes[at++], leb()];
    const end = at + size;
    if (id === 7) {
      for (let count = leb(); count > 0; count--) {
        const length = leb();
        names.push(bytes.subarray(at, at + length).toString("utf8"));
        at += length + 1; // the name, then its kind
        leb(); // its index
      }
    }
    at = end;
  }
  if (WebAssembly.validate(bytes)) {
    assert.deepEqual(WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name), names);
  }
  return names;
}

/**
 * Exports every workers-rs worker has: wasm-bindgen's (`memory`, `__wbg_*`,
 * `__wbindgen_*`, `__wasm_bindgen_*`, and workers-rs' `__`-prefixed state),
 * the `worker` crate's start function `init`, and wasm-streams' stream
 * classes (`intounderlying*`), which worker's body streaming brings.
 */
const plumbing = (name) => name === "memory" || name.startsWith("__") || name === "init" || name.startsWith("intounderlying");

describe("what the user's build holds", () => {
  const wasmFiles = readdirSync(BUILD).filter((f) => f.endsWith(".wasm"));
  const wasm = () => {
    assert.deepEqual(wasmFiles, ["index_bg.wasm"], `the wasm in ${BUILD}`);
    return readFileSync(path.join(BUILD, wasmFiles[0]));
  };

  test("the wasm exports the user's fetch handler and the runtime's plumbing: edgecache exports no handler", () => {
    const exports = wasmExports(wasm());
    assert.ok(exports.includes("memory") && exports.some((name) => name.startsWith("__wbindgen")), `exports: ${exports}`);
    assert.deepEqual(exports.filter((name) => !plumbing(name)), ["fetch"], `every export: ${exports}`);
  });

  test("build/index.js exports the user's fetch handler only", () => {
    const { metafile } = esbuild.buildSync({
      entryPoints: [path.join(BUILD, "index.js")],
      bundle: false,
      write: false,
      metafile: true,
      format: "esm",
      outdir: "out",
      logLevel: "silent",
    });
    const [{ exports }] = Object.values(metafile.outputs);
    // The default export is the entrypoint class; the others are classes of
    // the `worker` crate (ContainerStartupOptions, MinifyConfig, R2Range), none a handler.
    assert.ok(exports.includes("default"), `index.js exports: ${exports}`);
    const handlerNames = ["fetch", "scheduled", "queue", "email", "tail", "trace", "connect", "alarm", "test"];
    assert.deepEqual(exports.filter((name) => handlerNames.includes(name)), [], `index.js exports: ${exports}`);
    // worker-build adds one method to the entrypoint class per handler the wasm exports.
    const source = readFileSync(path.join(BUILD, "index.js"), "utf8");
    const handlers = [...source.matchAll(/[\w$]+\.prototype\.(\w+)\s*=\s*function/g)].map((m) => m[1]);
    assert.deepEqual(handlers, ["fetch"], "the entrypoint's handlers");
  });

  test("none of edgecache's reference worker (feature worker-app) is compiled in", () => {
    const bytes = wasm().toString("latin1");
    for (const text of ["/admin/stats", "tenant_llm_policies", "conversation_configs", "cache_outbox"]) {
      assert.equal(bytes.includes(text), false, `the user's wasm contains "${text}"`);
    }
    // ...while the user's own code is there, and edgecache's library.
    assert.ok(bytes.includes("SELECT body FROM users WHERE id = ?1"));
    assert.ok(bytes.includes("UPSTASH_REDIS_REST_URL"));
  });

  test("its wrangler.toml points at the build and shares edgecache's compatibility_date", () => {
    const dateOf = (file) => /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(file, "utf8"))?.[1];
    const toml = readFileSync(path.join(CRATE, "wrangler.toml"), "utf8");
    assert.match(toml, /^main = "build\/index\.js"$/m);
    assert.match(toml, /^\[\[d1_databases\]\]\nbinding = "DB"$/m);
    assert.equal(dateOf(path.join(CRATE, "wrangler.toml")), dateOf(path.join(ROOT, "wrangler.toml")));
  });
});
