// An HTTP proxy in front of an Upstash REST URL (upstash-local or the real
// service) that counts the requests it receives and can inject faults.
// The side-by-side benchmark (tests/bench/compare.mjs) puts one in front of
// each worker to count its REST round trips; fault and security tests set
// `proxy.mode`:
// - "pass"   forward everything (the default);
// - "500"    answer 500 {"error":"ERR injected"};
// - "stall"  accept the request and never answer (until stop());
// - "401"    answer 401 {"error":"Unauthorized"}, as Upstash does for a bad token;
// - "noperm" answer as Upstash does for a token without the permission:
//            200 for /pipeline and /multi-exec with every item
//            {"error":"NOPERM this user has no permissions to run the '<cmd>' command"},
//            400 with that error for a single command.
// Requests are counted in every mode, and so are the Redis commands in them
// (Upstash bills per command: a pipeline or a transaction counts each of its
// commands, a script one). `delayMs` holds every request that long before it
// is forwarded: the network round trip to Upstash that a bench injects. Bodies and headers (Authorization,
// Upstash-Encoding, upstash-sync-token, ...) pass through unchanged both ways,
// except the hop-by-hop ones.
import http from "node:http";
import { once } from "node:events";

export const MODES = ["pass", "500", "stall", "401", "noperm"];

// Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection, not the message.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

function endToEnd(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function noperm(command) {
  const name = String(command?.[0] ?? "").toLowerCase();
  return { error: `NOPERM this user has no permissions to run the '${name}' command` };
}

/** Answers like Upstash for a token that may not run the commands. */
async function answerNoperm(req, res, pathname) {
  const body = await readBody(req);
  if (pathname === "/pipeline" || pathname === "/multi-exec") {
    let commands = [];
    try {
      commands = JSON.parse(body);
    } catch {}
    sendJson(res, 200, (Array.isArray(commands) ? commands : []).map(noperm));
    return;
  }
  // A single command: a JSON array POSTed to "/", or in the path (/set/key/value).
  let command;
  try {
    command = pathname === "/" ? JSON.parse(body) : null;
  } catch {}
  command ??= [decodeURIComponent(pathname.split("/")[1] ?? "")];
  sendJson(res, 400, noperm(command));
}

/** Redis commands in one request: a JSON array of them for /pipeline and /multi-exec, else one. */
function commandsIn(pathname, body) {
  if (pathname !== "/pipeline" && pathname !== "/multi-exec") return 1;
  try {
    const parsed = JSON.parse(body);
    return Array.isArray(parsed) ? parsed.length : 1;
  } catch {
    return 1;
  }
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) forwarding to `targetUrl`.
 * Answers `{ url, port, requests(), commands(), reset(), mode, delayMs, stop() }`;
 * set `mode` to one of MODES, or `delayMs`, at any time.
 */
export async function startUpstashProxy(targetUrl, { delayMs = 0 } = {}) {
  const target = new URL(targetUrl);
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set();
  let count = 0;
  let commands = 0;
  let mode = "pass";
  let delay = delayMs;

  async function forward(req, res, pathname) {
    const body = await readBody(req);
    commands += commandsIn(pathname, body);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const upstream = http.request(
      {
        agent,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...endToEnd(req.headers), host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode, answer.statusMessage, endToEnd(answer.headers));
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (!res.headersSent) sendJson(res, 502, { error: `proxy: ${error.message}` });
      else res.destroy(error);
    });
    upstream.end(body);
  }

  const server = http.createServer((req, res) => {
    count++;
    const { pathname } = new URL(req.url, "http://proxy");
    switch (mode) {
      case "500":
        req.resume();
        return sendJson(res, 500, { error: "ERR injected" });
      case "401":
        req.resume();
        return sendJson(res, 401, { error: "Unauthorized" });
      case "stall":
        req.resume(); // read the body, never answer
        return undefined;
      case "noperm":
        return answerNoperm(req, res, pathname).catch((error) => res.destroy(error));
      default:
        return forward(req, res, pathname).catch((error) => res.destroy(error));
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    /** Requests received since the start or the last reset(). */
    requests: () => count,
    /** Redis commands in the requests forwarded since the start or the last reset(). */
    commands: () => commands,
    reset() {
      count = 0;
      commands = 0;
    },
    get mode() {
      return mode;
    },
    /** How long each forwarded request is held, in ms (settable). */
    get delayMs() {
      return delay;
    },
    set delayMs(value) {
      if (!(Number.isFinite(value) && value >= 0)) throw new Error(`proxy delayMs must be a number >= 0, got ${value}`);
      delay = value;
    },
    set mode(value) {
      if (!MODES.includes(value)) throw new Error(`proxy mode must be one of ${MODES.join(", ")}, got ${value}`);
      mode = value;
    },
    async stop() {
      const closed = once(server, "close");
      server.close();
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await closed;
    },
  };
}
