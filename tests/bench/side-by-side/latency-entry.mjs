// The entry module of a worker under the production-shaped bench: it wraps
// the worker's D1 binding so that every D1 round trip (a statement's first,
// all, run or raw, a batch, an exec) waits BENCH_D1_RTT_MS before it runs,
// and tallies D1's own billing counters (meta.rows_read, meta.rows_written).
// Loaded as "entry.mjs" beside the worker as "worker.js" (direct.mjs builds
// the module list); the same file wraps both workers, so both pay the same.
// GET /__bench/d1 answers the tallies (and, with ?reset, zeroes them); the
// worker never sees that path or the BENCH_ variables.
import worker from "./worker.js";

const totals = { roundTrips: 0, statements: 0, rowsRead: 0, rowsWritten: 0 };
const sleep = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

function tally(result) {
  totals.statements++;
  totals.rowsRead += result?.meta?.rows_read ?? 0;
  totals.rowsWritten += result?.meta?.rows_written ?? 0;
  return result;
}

// Named as the runtime's own classes: the Rust `worker` crate checks a
// binding's constructor name before it takes it as a D1Database.
class D1PreparedStatement {
  #db;
  constructor(db, inner) {
    this.#db = db;
    this.inner = inner;
  }
  bind(...values) {
    return new D1PreparedStatement(this.#db, this.inner.bind(...values));
  }
  // first() and raw() carry no meta: they run as all(), which D1 bills the same.
  async first(column) {
    const { results } = await this.all();
    const row = results?.[0] ?? null;
    return column === undefined || row === null ? row : (row[column] ?? null);
  }
  async all() {
    return tally(await this.#db.trip(() => this.inner.all()));
  }
  async run() {
    return tally(await this.#db.trip(() => this.inner.run()));
  }
  async raw(options) {
    const { results } = await this.all();
    const rows = (results ?? []).map((row) => Object.values(row));
    return options?.columnNames ? [Object.keys(results?.[0] ?? {}), ...rows] : rows;
  }
}

class D1Database {
  #inner;
  #rttMs;
  constructor(inner, rttMs) {
    this.#inner = inner;
    this.#rttMs = rttMs;
  }
  /** One round trip: the injected latency, then the call. */
  async trip(call) {
    totals.roundTrips++;
    await sleep(this.#rttMs);
    return call();
  }
  prepare(sql) {
    return new D1PreparedStatement(this, this.#inner.prepare(sql));
  }
  async batch(statements) {
    const results = await this.trip(() => this.#inner.batch(statements.map((s) => s.inner)));
    for (const result of results) tally(result);
    return results;
  }
  exec(sql) {
    return this.trip(() => this.#inner.exec(sql));
  }
  dump() {
    return this.#inner.dump();
  }
}

let wrapped;
function envFor(env) {
  if (!wrapped) {
    const rttMs = Number(env.BENCH_D1_RTT_MS ?? 0);
    const { BENCH_D1_RTT_MS, DB, ...rest } = env;
    wrapped = { ...rest, DB: new D1Database(DB, rttMs) };
  }
  return wrapped;
}

// The worker's handlers: an object's, or (worker-build's output) those of a
// WorkerEntrypoint class, whose methods read `this.env` and `this.ctx`.
const handler =
  typeof worker === "function"
    ? {
        fetch: (request, env, ctx) => worker.prototype.fetch.call({ env, ctx }, request),
        scheduled: (controller, env, ctx) => worker.prototype.scheduled?.call({ env, ctx }, controller),
      }
    : worker;

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/d1") {
      const answer = Response.json({ ...totals });
      if (url.searchParams.has("reset")) for (const key of Object.keys(totals)) totals[key] = 0;
      return answer;
    }
    return handler.fetch(request, envFor(env), ctx);
  },
  async scheduled(controller, env, ctx) {
    return handler.scheduled?.(controller, envFor(env), ctx);
  },
};
