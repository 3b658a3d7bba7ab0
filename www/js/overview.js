// @ts-check
// The isolate view's tiles, one function each, filled from the poller's
// state (poller.js): the counters of the isolate that answered the last
// poll, the health check, and the rates measured between polls. The tiles
// the fleet view shows too are drawn by tiles.js.

import { $, h, setBar, setText, setTile } from "./dom.js";
import { bytes, clock, count, duration, per, percent, rate } from "./format.js";
import { hitsOf, readsOf } from "./poller.js";
import { LIMITER_ORDER, errorsTile, hitRateTile, limiterOff, limiterRow, reasonText, tierTiles } from "./tiles.js";

/** @typedef {import("./types.js").IsolateStats} IsolateStats */
/** @typedef {import("./types.js").CacheStats} CacheStats */
/** @typedef {import("./types.js").LimiterStats} LimiterStats */
/** @typedef {import("./types.js").Health} Health */
/** @typedef {import("./types.js").RatePoint} RatePoint */
/** @typedef {import("./poller.js").PollState} PollState */

/**
 * @param {CacheStats} c
 * @param {RatePoint | null} recent
 */
function hitRate(c, recent) {
  const detail = recent && recent.hitRate !== null ? ` · last ${duration(recent.seconds * 1000)}: ${percent(recent.hitRate, 0)}` : "";
  hitRateTile("", { reads: readsOf(c), hits: hitsOf(c), hitRate: c.hitRate }, { empty: "No reads yet: the cache has served nothing since this isolate started.", detail });
}

/** @param {RatePoint | null} recent */
function requestsPerSecond(recent) {
  if (!recent) {
    setText("rps", "—");
    setText("rps-sub", "measured from the next poll on");
  } else {
    setText("rps", rate(recent.rps));
    setText("rps-sub", `responses · cache reads ${rate(recent.reads)}/s`);
  }
}

/** @param {CacheStats} c */
function misses(c) {
  setText("misses", count(c.misses));
  setText("misses-sub", c.bypasses ? `${count(c.bypasses)} more went straight to D1 (cache off or failing)` : "loaded from D1");
}

/** @param {IsolateStats} s */
function backendErrors({ cache: c, backend: b }) {
  errorsTile("", c, { breaker: "breaker", lastError: b.lastError, state: b.misconfigured ? "bad" : b.failing ? "bad" : c.backendErrors > 0 ? "warn" : "" });
}

/** @param {IsolateStats["breaker"]} br */
function breaker(br) {
  setText("breaker", br.open ? "Open" : "Closed");
  setText(
    "breaker-sub",
    br.open
      ? `open for ${duration(br.openForMs)}: Upstash calls skipped · cooldown ${duration(br.cooldownMs)}`
      : `${br.consecutiveFailures} of ${br.failuresToOpen} failures in a row open it · cooldown ${duration(br.cooldownMs)}`,
  );
  setTile("breaker", br.open ? "bad" : br.consecutiveFailures > 0 ? "warn" : "ok");
}

/** @param {IsolateStats["outbox"]} outbox */
function outboxTile(outbox) {
  if (outbox.depth === null || outbox.depth === undefined) {
    setText("outbox", "—");
    setText("outbox-sub", `unreadable: ${outbox.error ?? "unknown error"}`);
    setTile("outbox", "bad");
  } else {
    setText("outbox", count(outbox.depth));
    setText("outbox-sub", outbox.depth ? "invalidations waiting to reach the cache" : "no invalidation waiting");
    setTile("outbox", outbox.depth ? "warn" : "");
  }
}

/** @param {IsolateStats} s */
function upstash({ upstash: u, backend: b }) {
  if (!u) {
    setText("upstash", "Off");
    setText("upstash-sub", b.kind === "memory" ? "not configured: the cache is in-isolate memory only" : "not configured: caching is off");
    setTile("upstash", "idle");
  } else if (u.error) {
    setText("upstash", b.misconfigured ? "Refused" : "Down");
    setText("upstash-sub", `${u.error} (after ${duration(u.latencyMs)})`);
    setTile("upstash", "bad");
  } else {
    setText("upstash", count(u.dbsize));
    const memory = u.usedMemoryBytes !== null && u.usedMemoryBytes !== undefined ? `${bytes(u.usedMemoryBytes)} used` : "memory not readable";
    setText("upstash-sub", `keys in the database · ${memory} · ${duration(u.latencyMs)} round trip`);
    setTile("upstash", b.misconfigured ? "bad" : "ok");
  }
}

/** @param {CacheStats} c */
function memory(c) {
  const mem = c.memory;
  if (!mem) {
    setText("memory", "—");
    setText("memory-sub", "no in-isolate tier");
    setBar("memory", 0);
    return;
  }
  const bound = c.l1MaxStalenessMs !== null ? ` · L1 bound ${duration(c.l1MaxStalenessMs)}` : "";
  setText("memory", bytes(mem.bytes));
  setText("memory-sub", `${count(mem.entries)} of ${count(mem.maxEntries)} entries · max ${bytes(mem.maxBytes)}${bound}`);
  setBar("memory", Math.max(mem.bytes / mem.maxBytes, mem.entries / mem.maxEntries));
}

/** @param {LimiterStats} l */
const failing = (l) => l.failedOpen || l.failedClosed || l.localAllowed || l.localRefused;

/** @param {LimiterStats} l */
function limiterChips(l) {
  const chips = Object.entries(l.byReason)
    .filter(([reason, n]) => reason !== "none" && n > 0)
    .map(([reason, n]) => h("span", { class: reason === "cache_block" ? "chip" : "chip warn" }, `${reasonText(reason, "this isolate")} ${count(n)}`));
  if (l.refusedByOtherLimit) chips.push(h("span", { class: "chip" }, `held back by the other limit ${count(l.refusedByOtherLimit)}`));
  if (l.failedOpen) chips.push(h("span", { class: "chip warn" }, `failed open ${count(l.failedOpen)}`));
  if (l.failedClosed) chips.push(h("span", { class: "chip bad" }, `failed closed ${count(l.failedClosed)}`));
  if (l.localRefused) chips.push(h("span", { class: "chip warn" }, `refused in this isolate ${count(l.localRefused)}`));
  return chips;
}

/** @param {IsolateStats["limiter"]} limiter */
function limits(limiter) {
  const box = document.querySelector('[data-v="limiter"]');
  if (!box) return;
  if (!limiter) return limiterOff("", box);
  const names = LIMITER_ORDER.filter((name) => limiter[name]);
  const children = names.flatMap((name) => {
    const l = limiter[name];
    const chips = limiterChips(l);
    return [
      limiterRow(name, `${count(l.limit)} / ${per(l.windowMs)} · ${l.algorithm}`, l.allowed, l.refused + l.refusedFromBlockCache),
      chips.length ? h("div", { class: "limiter-reasons" }, chips) : null,
    ];
  });
  const quiet = names.every((n) => !limiter[n].refused && !limiter[n].refusedFromBlockCache && !failing(limiter[n]));
  children.push(
    h(
      "p",
      { class: "sub" },
      quiet
        ? "Nothing refused, no limiter failures."
        : "Each limit counts the requests it refused itself. Authenticated requests spend tenant and key, failed credentials spend client and auth; each pair is checked together, so neither spends when the other refuses.",
    ),
  );
  box.replaceChildren(...children.filter((child) => child !== null));
  setTile("limiter", names.some((n) => failing(limiter[n])) ? "warn" : "");
}

/** @param {Health} hl */
function health(hl) {
  if (!hl.reachable) {
    setText("health", "Unreachable");
    setText("health-sub", hl.error ?? "");
    setTile("health", "bad");
    return;
  }
  setText("health", hl.healthy ? "Healthy" : "Unhealthy");
  const checked = hl.ageMs !== undefined ? `checked ${duration(hl.ageMs)} ago` : null;
  const parts = hl.healthy ? [hl.backend, hl.latencyMs !== undefined ? duration(hl.latencyMs) : null, checked] : [hl.error ?? `HTTP ${hl.status}`, checked];
  setText("health-sub", parts.filter(Boolean).join(" · "));
  setTile("health", hl.healthy ? "ok" : "bad");
}

/**
 * @param {IsolateStats} s
 * @param {number} isolates how many isolates have answered so far
 */
function footer(s, isolates) {
  $("key-prefix").textContent = s.settings.keyPrefix;
  const up = s.timestampMs - s.isolate.startedAtMs;
  $("footer-isolate").textContent =
    `Counters are per isolate. This one started ${clock(s.isolate.startedAtMs)} (up ${duration(up)})` +
    (isolates > 1 ? `; answers have come from ${isolates} isolates so far.` : ".");
}

/**
 * Every tile of the isolate view (the health tile shows in both views).
 * @param {PollState} state
 */
export function renderOverview({ stats: s, health: hl, lastRate, isolates }) {
  if (s) {
    hitRate(s.cache, lastRate);
    requestsPerSecond(lastRate);
    tierTiles("", s.cache);
    misses(s.cache);
    backendErrors(s);
    breaker(s.breaker);
    outboxTile(s.outbox);
    upstash(s);
    memory(s.cache);
    limits(s.limiter);
    footer(s, isolates);
  }
  if (hl) health(hl);
}

/**
 * The line at the top: when the figures were updated, or that stats failed.
 * @param {PollState} state
 * @param {number} intervalMs 0: paused
 */
export function renderPollStatus({ stats, statsError }, intervalMs) {
  const status = $("poll-status");
  if (statsError) {
    status.textContent = `Stats failed ${clock(Date.now())}`;
    status.dataset.state = "bad";
  } else if (stats) {
    status.textContent = `Updated ${clock(stats.timestampMs)}${intervalMs > 0 ? "" : " · paused"}`;
    status.dataset.state = "ok";
  }
}
