// The live feed's connection (www/js/events.js: the events() async generator
// and LiveFeed) against a small local SSE server that ends its streams and
// fails on purpose: the reconnects the dashboard test cannot wait for (the
// worker ends a stream after ~55 s).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { once } from "node:events";
import { LiveFeed, events as sseEvents } from "../../www/js/events.js";

let server;
let base;
/** What the next connections answer, in order; each is (request, response) => void. */
const script = [];
const seen = [];

before(async () => {
  server = createServer((request, response) => {
    seen.push({ url: request.url, authorization: request.headers.authorization });
    const next = script.shift();
    if (next) next(request, response);
    else response.writeHead(503, { "content-type": "application/json" }).end('{"error":"no more"}');
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const sse = (response) => response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
const event = (name, data) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** A LiveFeed whose fetch goes to the local server; resolves `until(states, events)` once it holds. */
function feed(until) {
  const states = [];
  const events = [];
  let refused = null;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const check = () => until({ states, events, refused }) && done({ states, events, refused });
  const live = new LiveFeed({
    getToken: () => "the-admin-token",
    onState: (state) => {
      states.push(state);
      check();
    },
    onEvent: (e) => {
      events.push(e);
      check();
    },
    onAuthRefused: (error) => {
      refused = error;
      check();
    },
  });
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, init) => realFetch(new URL(url, base), init);
  live.start();
  return finished.finally(() => {
    live.stop();
    globalThis.fetch = realFetch;
  });
}

/** A streamed response whose body arrives in these chunks. */
function streamed(chunks) {
  const encoder = new TextEncoder();
  return new Response(
    new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    }),
  );
}

test("events() splits a stream into events across chunks, joins data lines, reads retry and yields comments", async () => {
  const got = [];
  const response = streamed([
    "retry: 2000\n\nevent: ready\r\ndata: {\"channel\":",
    "\"c\"}\r\n\r",
    "\n: keepalive\n\nevent: invalidate\ndata: a\ndata: b\n\n",
    "event: invalidate\ndata: never finished\n",
  ]);
  for await (const event of sseEvents(response)) got.push(event);
  assert.deepEqual(got, [
    { event: "message", data: "", retry: 2000 },
    { event: "ready", data: '{"channel":"c"}', retry: null },
    { event: "comment", data: "keepalive", retry: null },
    { event: "invalidate", data: "a\nb", retry: null },
  ]);
});

test("a stream that ends is reconnected after its retry, and events keep coming", async () => {
  seen.length = 0;
  script.push((request, response) => {
    sse(response);
    response.write("retry: 100\n\n");
    response.write(event("ready", { channel: "edgecache:events" }));
    response.write(event("invalidate", { type: "invalidate", atMs: 1, tags: ["tenant:acme"] }));
    response.end(event("end", { reason: "time limit" }));
  });
  script.push((request, response) => {
    sse(response);
    response.write(event("ready", { channel: "edgecache:events" }));
    response.write(event("invalidate", { type: "invalidate", atMs: 2, keys: ["edgecache:llm:policy:acme"] }));
  });
  const started = Date.now();
  const { states, events } = await feed(({ events }) => events.length === 2);
  assert.deepEqual(events.map((e) => e.atMs), [1, 2]);
  assert.deepEqual(
    states.map((s) => s.state).filter((s) => s !== "stopped"),
    ["connecting", "live", "reconnecting", "connecting", "live"],
  );
  assert.equal(states[1].channel, "edgecache:events");
  assert.ok(Date.now() - started >= 100, "waited for the stream's retry: before reconnecting");
  assert.deepEqual(seen.map((s) => s.url), ["/admin/events", "/admin/events"]);
  assert.ok(seen.every((s) => s.authorization === "Bearer the-admin-token"), "the token goes in the Authorization header");
});

test("a failing feed backs off and recovers; a refused token stops it", async () => {
  script.push((request, response) => response.writeHead(503, { "content-type": "application/json" }).end('{"error":"Upstash is unavailable","requestId":"abc123"}'));
  script.push((request, response) => {
    sse(response);
    response.write(event("ready", { channel: "c" }));
  });
  const { states } = await feed(({ states }) => states.filter((s) => s.state === "live").length === 1);
  const retry = states.find((s) => s.state === "reconnecting");
  assert.match(retry.message, /Upstash is unavailable \(HTTP 503, request abc123\)/);
  assert.ok(retry.retryAt - Date.now() < 1500, "the first retry comes within about a second");

  script.push((request, response) => response.writeHead(403, { "content-type": "application/json" }).end('{"error":"the admin routes need the admin token"}'));
  const { refused } = await feed(({ refused }) => refused !== null);
  assert.equal(refused.status, 403);

  script.push((request, response) => response.writeHead(404, { "content-type": "application/json" }).end('{"error":"CACHE_EVENTS_CHANNEL is not configured"}'));
  const off = await feed(({ states }) => states.some((s) => s.state === "off"));
  assert.match(off.states.find((s) => s.state === "off").message, /CACHE_EVENTS_CHANNEL is not configured/);
});
