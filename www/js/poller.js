// @ts-check
// The one poller, and the state of the page it holds: the last /admin/stats
// answer (or why there is none), the last health check, the rates measured
// between polls of one isolate, and how often to poll. Every view renders
// from its `state`; nothing else keeps figures.

import { health as fetchHealth } from "./api.js";

/** @typedef {import("./types.js").IsolateStats} IsolateStats */
/** @typedef {import("./types.js").CacheStats} CacheStats */
/** @typedef {import("./types.js").Health} Health */
/** @typedef {import("./types.js").RatePoint} RatePoint */
/** @typedef {{ get(path: string): Promise<any> }} Api */

/**
 * What the views render.
 * @typedef {object} PollState
 * @property {IsolateStats | null} stats the last answer of /admin/stats
 * @property {{ message: string, status?: number, requestId?: string | null } | null} statsError why the last poll has no stats
 * @property {Health | null} health
 * @property {readonly RatePoint[]} points the chart's points, oldest first
 * @property {RatePoint | null} lastRate the change over the last poll, null when it made no rate
 * @property {number} isolates how many isolates have answered so far
 */

const INTERVAL_KEY = "edgecache.pollMs";
const DEFAULT_INTERVAL_MS = 3000;
const MAX_POINTS = 900;
/** Isolates whose last snapshot is kept. */
const MAX_BASELINES = 50;

/**
 * Cache reads in all: hits, stale ones, misses and bypasses.
 * @param {CacheStats} c
 */
export const readsOf = (c) => c.l1Hits + c.l2Hits + c.staleServed + c.misses + c.bypasses;
/**
 * Cache reads that found a value (fresh in either tier, or stale).
 * @param {CacheStats} c
 */
export const hitsOf = (c) => c.l1Hits + c.l2Hits + c.staleServed;

/** Rates from the change between two snapshots of one isolate (each poll may land on another). */
class Rates {
  /** The last snapshot seen from each isolate: rates come from deltas within one isolate. */
  #baselines = /** @type {Map<string | number, IsolateStats>} */ (new Map());
  #isolates = /** @type {Set<string | number>} */ (new Set());
  /** @type {RatePoint[]} */
  #points = [];
  /** @type {RatePoint | null} */
  #last = null;

  get points() {
    return this.#points;
  }

  get last() {
    return this.#last;
  }

  get isolates() {
    return this.#isolates.size;
  }

  /**
   * Adds a point from the change since this isolate's last snapshot.
   * @param {IsolateStats} stats
   */
  record(stats) {
    const isolate = stats.isolate?.id ?? stats.isolate?.startedAtMs ?? 0;
    this.#isolates.add(isolate);
    const previous = this.#baselines.get(isolate);
    const seconds = previous ? (stats.timestampMs - previous.timestampMs) / 1000 : 0;
    // Two snapshots a moment apart (the sign-in's and the first poll's) make no rate: keep the older one.
    if (previous && seconds < 0.5) return;
    this.#baselines.set(isolate, stats);
    if (this.#baselines.size > MAX_BASELINES) this.#baselines.delete(this.#baselines.keys().next().value);
    this.#last = null;
    if (!previous) return;
    const dReads = readsOf(stats.cache) - readsOf(previous.cache);
    const dHits = hitsOf(stats.cache) - hitsOf(previous.cache);
    // A counter went down: a new isolate that happens to share a start time. Start over.
    if (dReads < 0 || dHits < 0) return;
    const now = stats.responses?.total ?? null;
    const before = previous.responses?.total ?? null;
    /** @type {RatePoint} */
    const point = {
      t: stats.timestampMs,
      reads: dReads / seconds,
      hitRate: dReads > 0 ? dHits / dReads : null,
      rps: now !== null && before !== null && now >= before ? (now - before) / seconds : null,
      seconds,
    };
    this.#last = point;
    this.#points.push(point);
    if (this.#points.length > MAX_POINTS) this.#points.splice(0, this.#points.length - MAX_POINTS);
  }
}

export class Poller {
  #api;
  #alsoRefresh;
  #onUpdate;
  #stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer = undefined;
  #intervalMs;
  #rates = new Rates();
  /** @type {IsolateStats | null} */
  #stats = null;
  /** @type {PollState["statsError"]} */
  #statsError = null;
  /** @type {Health | null} */
  #health = null;

  /**
   * @param {object} options
   * @param {Api} options.api the admin API
   * @param {number[]} options.intervals the intervals offered (ms; 0 is paused): a stored one that is not falls back to 3 s
   * @param {() => Promise<unknown> | null} options.alsoRefresh what else each poll fetches (the fleet's counters), alongside
   * @param {() => void} options.onUpdate runs after each poll, to render `state`
   */
  constructor({ api, intervals, alsoRefresh, onUpdate }) {
    this.#api = api;
    this.#alsoRefresh = alsoRefresh;
    this.#onUpdate = onUpdate;
    const stored = Number(localStorage.getItem(INTERVAL_KEY) ?? DEFAULT_INTERVAL_MS);
    this.#intervalMs = intervals.includes(stored) ? stored : DEFAULT_INTERVAL_MS;
  }

  /** @returns {PollState} */
  get state() {
    return {
      stats: this.#stats,
      statsError: this.#statsError,
      health: this.#health,
      points: this.#rates.points,
      lastRate: this.#rates.last,
      isolates: this.#rates.isolates,
    };
  }

  /** Milliseconds between polls; 0: paused. */
  get intervalMs() {
    return this.#intervalMs;
  }

  /** Sets (and keeps, in localStorage) the interval: polls now, or stops polling for 0. */
  set intervalMs(ms) {
    this.#intervalMs = ms;
    localStorage.setItem(INTERVAL_KEY, String(ms));
    if (ms > 0) void this.poll();
    else clearTimeout(this.#timer);
  }

  /**
   * Takes the stats the sign-in fetched, as if polled.
   * @param {IsolateStats} stats
   */
  seed(stats) {
    this.#stats = stats;
    this.#rates.record(stats);
  }

  /** Fetches the stats and the health check (and the fleet's counters) now, renders, and schedules the next poll. */
  async poll() {
    clearTimeout(this.#timer);
    const [stats, health] = await Promise.allSettled([this.#api.get("/admin/stats"), fetchHealth(), this.#alsoRefresh()]);
    if (this.#stopped) return;
    if (stats.status === "fulfilled") {
      this.#stats = stats.value;
      this.#statsError = null;
      this.#rates.record(stats.value);
    } else {
      this.#statsError = stats.reason;
    }
    this.#health = health.status === "fulfilled" ? health.value : { reachable: false, healthy: false, error: "the worker did not answer" };
    this.#onUpdate();
    clearTimeout(this.#timer);
    if (this.#intervalMs > 0) this.#timer = setTimeout(() => this.poll(), this.#intervalMs);
  }

  /** Polls no more (the page is signing out). */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
