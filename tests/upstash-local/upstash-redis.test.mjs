// The real @upstash/redis against upstash-local (on a Redis of the suite's
// own): each command family, pipelines, transactions, auto-pipelining,
// read-your-writes, scripts (Upstash's shebang flag included), subscribe(),
// and what a read-only token and refused commands answer.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { eventually, unique, useLocal } from "./local.mjs";

let local;
let redis;
useLocal((started) => ({ local, redis } = started));

/** Requests upstash-local served since the last call. */
async function requestsServed() {
  const headers = { authorization: `Bearer ${local.token}` };
  const { requests } = await (await fetch(`${local.url}/__local/stats`, { headers })).json();
  await fetch(`${local.url}/__local/stats/reset`, { method: "POST", headers });
  return requests;
}

describe("command families", () => {
  test("strings, with @upstash/redis's JSON (de)serialisation and base64 answers", async () => {
    const k = unique("str");
    assert.equal(await redis.set(k, { name: "ada", tags: ["x", "ÿ✓"] }), "OK");
    assert.deepEqual(await redis.get(k), { name: "ada", tags: ["x", "ÿ✓"] });
    assert.equal(await redis.set(`${k}:n`, 41, { ex: 100 }), "OK");
    assert.equal(await redis.incr(`${k}:n`), 42);
    assert.equal(await redis.incrbyfloat(`${k}:n`, 0.5), 42.5);
    const ttl = await redis.ttl(`${k}:n`);
    assert.ok(ttl > 0 && ttl <= 100, `ttl ${ttl}`);
    assert.equal(await redis.set(k, "other", { nx: true }), null);
    await redis.mset({ [`${k}:a`]: "1", [`${k}:b`]: "two" });
    assert.deepEqual(await redis.mget(`${k}:a`, `${k}:b`, `${k}:missing`), [1, "two", null]);
    assert.equal(await redis.append(`${k}:b`, "!"), 4);
    assert.equal(await redis.getrange(`${k}:b`, 0, 2), "two");
    assert.equal(await redis.getdel(`${k}:b`), "two!");
    assert.equal(await redis.exists(`${k}:b`), 0);
  });

  test("hashes", async () => {
    const k = unique("hash");
    assert.equal(await redis.hset(k, { name: "ada", visits: 1 }), 2);
    assert.equal(await redis.hget(k, "name"), "ada");
    assert.equal(await redis.hincrby(k, "visits", 2), 3);
    assert.deepEqual(await redis.hgetall(k), { name: "ada", visits: 3 });
    assert.deepEqual(await redis.hmget(k, "name", "none"), { name: "ada", none: null });
    assert.deepEqual((await redis.hkeys(k)).sort(), ["name", "visits"]);
    assert.equal(await redis.hdel(k, "visits"), 1);
    assert.equal(await redis.hlen(k), 1);
  });

  test("lists", async () => {
    const k = unique("list");
    assert.equal(await redis.rpush(k, "a", "b", "c"), 3);
    assert.equal(await redis.lpush(k, "z"), 4);
    assert.deepEqual(await redis.lrange(k, 0, -1), ["z", "a", "b", "c"]);
    assert.equal(await redis.lindex(k, 1), "a");
    assert.equal(await redis.lpos(k, "b"), 2);
    assert.equal(await redis.lpop(k), "z");
    assert.equal(await redis.rpop(k), "c");
    assert.equal(await redis.lmove(k, `${k}:2`, "left", "right"), "a");
    assert.equal(await redis.llen(k), 1);
    assert.equal(await redis.ltrim(k, 1, -1), "OK");
    assert.equal(await redis.llen(k), 0);
  });

  test("sets", async () => {
    const k = unique("set");
    assert.equal(await redis.sadd(k, "a", "b", "c"), 3);
    assert.equal(await redis.sadd(`${k}:2`, "b", "c", "d"), 3);
    assert.equal(await redis.sismember(k, "a"), 1);
    assert.equal(await redis.scard(k), 3);
    assert.deepEqual((await redis.sinter(k, `${k}:2`)).sort(), ["b", "c"]);
    assert.deepEqual((await redis.sunion(k, `${k}:2`)).sort(), ["a", "b", "c", "d"]);
    assert.equal(await redis.srem(k, "a"), 1);
    assert.deepEqual((await redis.smembers(k)).sort(), ["b", "c"]);
  });

  test("sorted sets", async () => {
    const k = unique("zset");
    assert.equal(await redis.zadd(k, { score: 1, member: "a" }, { score: 3, member: "c" }, { score: 2, member: "b" }), 3);
    assert.deepEqual(await redis.zrange(k, 0, -1), ["a", "b", "c"]);
    assert.deepEqual(await redis.zrange(k, 0, 1, { withScores: true }), ["a", 1, "b", 2]);
    assert.deepEqual(await redis.zrange(k, 3, 2, { byScore: true, rev: true }), ["c", "b"]);
    assert.equal(await redis.zscore(k, "b"), 2);
    assert.equal(await redis.zincrby(k, 5, "a"), 6);
    assert.equal(await redis.zrank(k, "a"), 2);
    assert.equal(await redis.zcount(k, 2, 3), 2);
    assert.equal(await redis.zrem(k, "a"), 1);
    assert.equal(await redis.zcard(k), 2);
  });

  test("streams, consumer groups included (reads that do not block)", async () => {
    const k = unique("stream");
    const first = await redis.xadd(k, "*", { event: "signup", user: "ada" });
    await redis.xadd(k, "*", { event: "login", user: "ada" });
    assert.equal(await redis.xlen(k), 2);
    const range = await redis.xrange(k, "-", "+");
    assert.deepEqual(range[first], { event: "signup", user: "ada" });
    assert.equal(await redis.xgroup(k, { type: "CREATE", group: "g", id: "0" }), "OK");
    const read = await redis.xreadgroup("g", "c1", k, ">", { count: 10 });
    assert.equal(read[0][0], k);
    assert.equal(read[0][1].length, 2);
    assert.equal(await redis.xack(k, "g", first), 1);
    const plain = await redis.xread(k, "0", { count: 1 });
    assert.equal(plain[0][1][0][0], first);
  });
});

describe("scripts", () => {
  test("EVAL, EVALSHA after SCRIPT LOAD, SCRIPT EXISTS, EVAL_RO", async () => {
    const k = unique("script");
    const script = `return redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${k}`;
    assert.equal(await redis.eval(script, [k], [2]), 2);
    const sha = await redis.scriptLoad(script);
    assert.deepEqual(await redis.scriptExists(sha), [1]);
    assert.equal(await redis.evalsha(sha, [k], [3]), 5);
    assert.equal(await redis.evalRo("return redis.call('GET', KEYS[1])", [k], []), 5);
  });

  test("createScript with Upstash's allow-key-locking flag: EVALSHA under the client's digest", async () => {
    const k = unique("flagged");
    const script = redis.createScript(`#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1]) -- ${k}`);
    assert.equal(await script.exec([k], []), 1);
    assert.equal(await script.exec([k], []), 2);
    assert.deepEqual(await redis.scriptExists(script.sha1), [1], "known under the digest the client computed");
    const readOnly = redis.createScript(`#!lua flags=no-writes,allow-key-locking\nreturn redis.call('GET', KEYS[1])`, {
      readonly: true,
    });
    assert.equal(await readOnly.exec([k], []), 2);
  });
});

describe("batches", () => {
  test("pipeline(): in order, errors kept per command", async () => {
    const k = unique("pipe");
    const results = await redis
      .pipeline()
      .set(k, "v")
      .get(k)
      .hget(k, "f") // WRONGTYPE
      .incr(`${k}:n`)
      .exec({ keepErrors: true });
    assert.equal(results[0].result, "OK");
    assert.equal(results[1].result, "v");
    assert.match(results[2].error, /^WRONGTYPE/);
    assert.equal(results[3].result, 1);
  });

  test("multi(): a transaction, applied whole", async () => {
    const k = unique("multi");
    const results = await redis.multi().set(k, 1).incrby(k, 9).get(k).exec();
    assert.deepEqual(results, ["OK", 10, 10]);
  });

  test("auto-pipelining: concurrent commands share requests", async () => {
    const k = unique("auto");
    await requestsServed();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => redis.set(`${k}:${i}`, i)));
    assert.deepEqual(results, Array(20).fill("OK"));
    assert.deepEqual(await Promise.all(Array.from({ length: 20 }, (_, i) => redis.get(`${k}:${i}`))), [
      ...Array(20).keys(),
    ]);
    const served = await requestsServed();
    assert.ok(served < 40, `${served} requests for 40 commands`);
  });

  test("read-your-writes: each answer carries a new sync token, sent back on the next request", async () => {
    const tokens = [];
    for (let i = 0; i < 3; i++) {
      await redis.set(unique("ryw"), i);
      tokens.push(redis.readYourWritesSyncToken);
    }
    assert.ok(tokens.every((token) => typeof token === "string" && token.length > 0), String(tokens));
    assert.equal(new Set(tokens).size, 3, String(tokens));
  });
});

describe("subscribe()", () => {
  test("several channels, JSON payloads parsed, per-channel listeners, unsubscribe by closing", async () => {
    const [a, b] = [unique("chan-a"), unique("chan-b")];
    const subscriber = redis.subscribe([a, b]);
    const counts = [];
    const messages = [];
    const onB = [];
    subscriber.on("subscribe", (count) => counts.push(count));
    subscriber.on("message", (event) => messages.push(event));
    subscriber.on(`message:${b}`, (event) => onB.push(event.message));
    await eventually(() => counts.length === 2, { what: "both subscriptions confirmed" });
    assert.deepEqual(await redis.publish(a, { id: 7, text: "x, y" }), 1);
    assert.deepEqual(await redis.publish(b, "plain"), 1);
    await eventually(() => messages.length === 2, { what: "both messages" });
    assert.deepEqual(messages.find((m) => m.channel === a).message, { id: 7, text: "x, y" });
    assert.deepEqual(onB, ["plain"]);

    await subscriber.unsubscribe();
    await eventually(async () => (await local.command("PUBSUB", "NUMSUB", a, b)).join() === `${a},0,${b},0`, {
      what: "Redis forgot the subscriptions",
    });
  });

  test("psubscribe(): pattern messages", async () => {
    const prefix = unique("pat");
    const subscriber = redis.psubscribe([`${prefix}:*`]);
    const received = [];
    let subscribed = false;
    subscriber.on("psubscribe", () => (subscribed = true));
    subscriber.on("pmessage", (event) => received.push(event));
    await eventually(() => subscribed, { what: "the pattern subscription" });
    await redis.publish(`${prefix}:one`, { n: 1 });
    await eventually(() => received.length === 1, { what: "the pattern message" });
    assert.deepEqual(received[0], { pattern: `${prefix}:*`, channel: `${prefix}:one`, message: { n: 1 } });
    await subscriber.unsubscribe();
  });
});

describe("tokens and refusals", () => {
  test("the read-only token reads, and its writes fail with Redis's NOPERM", async () => {
    const k = unique("ro");
    await redis.set(k, "v");
    const readOnly = new Redis({ url: local.url, token: local.readOnlyToken, enableAutoPipelining: false });
    assert.equal(await readOnly.get(k), "v");
    await assert.rejects(readOnly.set(k, "changed"), /NOPERM/);
    await assert.rejects(readOnly.flushall(), /NOPERM/);
  });

  test("errors reach the caller with Redis's or upstash-local's text", async () => {
    const k = unique("err");
    await redis.hset(k, { f: 1 });
    await assert.rejects(redis.get(k), /WRONGTYPE Operation against a key holding the wrong kind of value/);
    await assert.rejects(redis.exec(["DEBUG", "SLEEP", "0"]), /ERR command 'debug' is not allowed/);
    await assert.rejects(redis.exec(["WAIT", "1", "0"]), /ERR command 'wait' is not allowed: blocking/);
    await assert.rejects(redis.json.set(k, "$", { a: 1 }), /unknown command/i, "no JSON module in open-source Redis");
  });

  test("FLUSHDB and FLUSHALL run, as on Upstash", async () => {
    await redis.set(unique("gone"), 1);
    assert.equal(await redis.flushdb(), "OK");
    assert.equal(await redis.dbsize(), 0);
    assert.equal(await redis.flushall(), "OK");
  });
});
