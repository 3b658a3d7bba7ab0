// The edgecache operator dashboard: sign-in, the polled overview (tiles,
// chart, banners), the live invalidation feed, and the operation forms.

import { ApiError, TOKEN_KEY, adminApi, health as fetchHealth, request } from "./api.js";
import { SERIES, drawChart } from "./chart.js";
import { LiveFeed } from "./events.js";
import { setupFleet } from "./fleet.js";
import { bytes, clock, count, duration, iso, per, percent, plural, rate } from "./format.js";
import { setupForms } from "./forms.js";
import { setupLimits } from "./limits.js";

const NOTICE_KEY = "edgecache.signinNotice";
const INTERVAL_KEY = "edgecache.pollMs";
const MAX_POINTS = 900;
const MAX_FEED = 200;

const $ = (id) => document.getElementById(id);

/** Creates an element: h("li", {class: "x"}, "text", child). Text is always text, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// ---------------------------------------------------------------- sign-in

function authMessage(error) {
  if (error.code === "admin_token_not_configured") {
    return "This worker has no ADMIN_TOKEN configured, so its admin API is closed. Set one (wrangler secret put ADMIN_TOKEN) and sign in again.";
  }
  if (error.code === "too_many_auth_failures") return `Too many failed sign-ins from this address (HTTP 429: ${error.message}). Wait a minute and try again.`;
  if (error.status === 401 && error.code !== "invalid_token") return `The worker asked for credentials (HTTP 401: ${error.message}). Sign in again.`;
  if (error.status === 403) return `This token is not the admin token (HTTP 403: ${error.message}). Sign in with the admin token.`;
  return `The worker refused this token (HTTP ${error.status}: ${error.message}). Check it and sign in again.`;
}

let signingOut = false;

/** Forgets the token and goes back to the sign-in, with `notice` shown there. */
function signOut(notice) {
  if (signingOut) return;
  signingOut = true;
  sessionStorage.removeItem(TOKEN_KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  else sessionStorage.removeItem(NOTICE_KEY);
  // A fresh page: nothing the session showed (a new key, say) survives.
  location.replace(location.pathname);
}

function showSignin() {
  $("app").hidden = true;
  $("signin").hidden = false;
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  const error = $("signin-error");
  if (notice) {
    error.textContent = notice;
    error.hidden = false;
  }
  const form = $("signin-form");
  const input = $("signin-token");
  input.focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      error.textContent = "Enter the admin token.";
      error.hidden = false;
      input.focus();
      return;
    }
    const button = $("signin-submit");
    button.disabled = true;
    button.textContent = "Signing in…";
    error.hidden = true;
    try {
      const stats = await request("GET", "/admin/stats", { token });
      sessionStorage.setItem(TOKEN_KEY, token);
      input.value = "";
      $("signin").hidden = true;
      startDashboard(stats);
    } catch (failure) {
      error.textContent =
        failure instanceof ApiError && failure.authRefused
          ? authMessage(failure)
          : `Could not sign in: ${failure.message}${failure.requestId ? ` (request ${failure.requestId})` : ""}.`;
      error.hidden = false;
      input.select();
      input.focus();
    } finally {
      button.disabled = false;
      button.textContent = "Sign in";
    }
  });
}

// --------------------------------------------------------------- overview

const state = {
  stats: null,
  health: null,
  statsError: null,
  points: [],
  /** The last snapshot seen from each isolate, by its start time: rates come from deltas within one isolate. */
  baselines: new Map(),
  isolates: new Set(),
  lastRate: null,
};

function setText(name, text) {
  for (const node of document.querySelectorAll(`[data-v="${name}"]`)) node.textContent = text;
}

function setTile(name, tileState) {
  const tile = document.querySelector(`[data-tile="${name}"]`);
  if (tile) tile.dataset.state = tileState ?? "";
}

function setBar(name, ratio) {
  const bar = document.querySelector(`[data-bar="${name}"]`);
  if (bar) bar.style.width = `${Math.max(0, Math.min(1, ratio || 0)) * 100}%`;
}

const reads = (c) => c.l1Hits + c.l2Hits + c.staleServed + c.misses + c.bypasses;
const hits = (c) => c.l1Hits + c.l2Hits + c.staleServed;
/** Responses this isolate answered (every route, this stats call's own excepted). */
const requestsOf = (s) => s.responses?.total ?? null;
const REASONS = {
  cache_block: "block cache",
  timeout: "timeout",
  backend_error: "backend error",
  backend_misconfigured: "backend misconfigured",
  circuit_open: "breaker open",
  local_fallback: "decided in this isolate",
};

/** Adds a chart point from the change since this isolate's last snapshot. */
function recordRates(stats) {
  const isolate = stats.isolate?.id ?? stats.isolate?.startedAtMs ?? 0;
  state.isolates.add(isolate);
  const previous = state.baselines.get(isolate);
  const seconds = previous ? (stats.timestampMs - previous.timestampMs) / 1000 : 0;
  // Two snapshots a moment apart (the sign-in's and the first poll's) make no rate: keep the older one.
  if (previous && seconds < 0.5) return;
  state.baselines.set(isolate, stats);
  if (state.baselines.size > 50) state.baselines.delete(state.baselines.keys().next().value);
  if (!previous) {
    state.lastRate = null;
    return;
  }
  const dReads = reads(stats.cache) - reads(previous.cache);
  const dHits = hits(stats.cache) - hits(previous.cache);
  const now = requestsOf(stats);
  const before = requestsOf(previous);
  if (dReads < 0 || dHits < 0) {
    // A counter went down: a new isolate that happens to share a start time. Start over.
    state.lastRate = null;
    return;
  }
  const point = {
    t: stats.timestampMs,
    reads: dReads / seconds,
    hitRate: dReads > 0 ? dHits / dReads : null,
    rps: now !== null && before !== null && now >= before ? (now - before) / seconds : null,
    seconds,
  };
  state.lastRate = point;
  state.points.push(point);
  if (state.points.length > MAX_POINTS) state.points.splice(0, state.points.length - MAX_POINTS);
}

function renderTiles() {
  const s = state.stats;
  const hl = state.health;
  if (s) {
    const c = s.cache;
    const total = reads(c);
    const r = state.lastRate;
    // Hit rate.
    if (total === 0) {
      setText("hit-rate", "—");
      setText("hit-rate-sub", "No reads yet: the cache has served nothing since this isolate started.");
      setTile("hit-rate", "idle");
    } else {
      setText("hit-rate", percent(c.hitRate));
      const recent = r && r.hitRate !== null ? ` · last ${duration(r.seconds * 1000)}: ${percent(r.hitRate, 0)}` : "";
      setText("hit-rate-sub", `${count(hits(c))} of ${plural(total, "read")}${recent}`);
      setTile("hit-rate", "");
    }
    // Requests per second.
    if (!r) {
      setText("rps", "—");
      setText("rps-sub", "measured from the next poll on");
    } else {
      setText("rps", rate(r.rps));
      setText("rps-sub", `responses · cache reads ${rate(r.reads)}/s`);
    }
    // Tiers.
    setText("l1", count(c.l1Hits));
    setText("l2", count(c.l2Hits));
    const tierTotal = c.l1Hits + c.l2Hits;
    setBar("l1", tierTotal ? c.l1Hits / tierTotal : 0);
    setBar("l2", tierTotal ? c.l2Hits / tierTotal : 0);
    setText("hits-sub", `${count(c.negativeHits)} of them negative (a cached “absent”)`);
    setText("misses", count(c.misses));
    setText("misses-sub", c.bypasses ? `${count(c.bypasses)} more went straight to D1 (cache off or failing)` : "loaded from D1");
    setText("stale", count(c.staleServed));
    setText("stale-sub", "answered from the grace period while refreshing");
    setText("coalesced", count(c.coalesced));
    setText("coalesced-sub", "waited for another read's load instead of their own");
    // Backend errors.
    const b = s.backend;
    setText("errors", count(c.backendErrors + c.misconfigured));
    setText(
      "errors-sub",
      `${count(c.backendErrors)} failed · ${count(c.misconfigured)} refused token · ${count(c.breakerSkips)} skipped by breaker · ${count(c.fencedRefusals)} fenced writes` +
        (b.lastError ? ` · last: ${b.lastError}` : ""),
    );
    setTile("errors", b.misconfigured ? "bad" : b.failing ? "bad" : c.backendErrors > 0 ? "warn" : "");
    // Breaker.
    const br = s.breaker;
    setText("breaker", br.open ? "Open" : "Closed");
    setText(
      "breaker-sub",
      br.open
        ? `open for ${duration(br.openForMs)}: Upstash calls skipped · cooldown ${duration(br.cooldownMs)}`
        : `${br.consecutiveFailures} of ${br.failuresToOpen} failures in a row open it · cooldown ${duration(br.cooldownMs)}`,
    );
    setTile("breaker", br.open ? "bad" : br.consecutiveFailures > 0 ? "warn" : "ok");
    // Outbox.
    if (s.outbox.depth === null || s.outbox.depth === undefined) {
      setText("outbox", "—");
      setText("outbox-sub", `unreadable: ${s.outbox.error ?? "unknown error"}`);
      setTile("outbox", "bad");
    } else {
      setText("outbox", count(s.outbox.depth));
      setText("outbox-sub", s.outbox.depth ? "invalidations waiting to reach the cache" : "no invalidation waiting");
      setTile("outbox", s.outbox.depth ? "warn" : "");
    }
    // Upstash.
    const u = s.upstash;
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
    // In-isolate memory.
    const mem = c.memory;
    if (!mem) {
      setText("memory", "—");
      setText("memory-sub", "no in-isolate tier");
      setBar("memory", 0);
    } else {
      setText("memory", bytes(mem.bytes));
      setText("memory-sub", `${count(mem.entries)} of ${count(mem.maxEntries)} entries · max ${bytes(mem.maxBytes)}${c.l1MaxStalenessMs !== null ? ` · L1 bound ${duration(c.l1MaxStalenessMs)}` : ""}`);
      setBar("memory", Math.max(mem.bytes / mem.maxBytes, mem.entries / mem.maxEntries));
    }
    renderLimiter(s.limiter);
    $("key-prefix").textContent = s.settings.keyPrefix;
    const up = s.timestampMs - s.isolate.startedAtMs;
    $("footer-isolate").textContent =
      `Counters are per isolate. This one started ${clock(s.isolate.startedAtMs)} (up ${duration(up)})` +
      (state.isolates.size > 1 ? `; answers have come from ${state.isolates.size} isolates so far.` : ".");
  }
  // Health.
  if (hl) {
    if (!hl.reachable) {
      setText("health", "Unreachable");
      setText("health-sub", hl.error);
      setTile("health", "bad");
    } else {
      setText("health", hl.healthy ? "Healthy" : "Unhealthy");
      const checked = hl.ageMs !== undefined ? `checked ${duration(hl.ageMs)} ago` : null;
      const parts = hl.healthy
        ? [hl.backend, hl.latencyMs !== undefined ? duration(hl.latencyMs) : null, checked]
        : [hl.error ?? `HTTP ${hl.status}`, checked];
      setText("health-sub", parts.filter(Boolean).join(" · "));
      setTile("health", hl.healthy ? "ok" : "bad");
    }
  }
}

/** The worker's limits, in the order shown: what authenticated requests spend, then what failed credentials spend. */
const LIMITERS = ["tenant", "key", "client", "auth"];

function renderLimiter(limiter) {
  const box = document.querySelector('[data-v="limiter"]');
  if (!limiter) {
    box.replaceChildren(h("p", { class: "value" }, "Off"), h("p", { class: "sub" }, "Rate limiting is off on this worker (it needs Upstash)."));
    setTile("limiter", "idle");
    return;
  }
  const names = LIMITERS.filter((name) => limiter[name]);
  const rows = names.map((name) => {
    const l = limiter[name];
    const reasons = Object.entries(l.byReason)
      .filter(([reason, n]) => reason !== "none" && n > 0)
      .map(([reason, n]) => h("span", { class: reason === "cache_block" ? "chip" : "chip warn" }, `${REASONS[reason] ?? reason.replace(/_/g, " ")} ${count(n)}`));
    const failures = [];
    if (l.failedOpen) failures.push(h("span", { class: "chip warn" }, `failed open ${count(l.failedOpen)}`));
    if (l.failedClosed) failures.push(h("span", { class: "chip bad" }, `failed closed ${count(l.failedClosed)}`));
    if (l.localRefused) failures.push(h("span", { class: "chip warn" }, `refused in this isolate ${count(l.localRefused)}`));
    const refused = l.refused + l.refusedFromBlockCache;
    if (l.refusedByOtherLimit) reasons.push(h("span", { class: "chip" }, `held back by the other limit ${count(l.refusedByOtherLimit)}`));
    const extra = [...reasons, ...failures];
    return [
      h(
        "div",
        { class: "limiter-row", dataset: { limiter: name } },
        h("span", { class: "limiter-name" }, name, h("small", {}, `${count(l.limit)} / ${per(l.windowMs)} · ${l.algorithm}`)),
        h("span", { class: "limiter-figure ok-text" }, h("small", {}, "allowed"), h("strong", { dataset: { field: "allowed" } }, count(l.allowed))),
        h("span", { class: `limiter-figure ${refused ? "bad-text" : ""}` }, h("small", {}, "refused"), h("strong", { dataset: { field: "refused" } }, count(refused))),
      ),
      extra.length ? h("div", { class: "limiter-reasons" }, extra) : null,
    ];
  });
  const failing = (l) => l.failedOpen || l.failedClosed || l.localAllowed || l.localRefused;
  const quiet = names.every((n) => !limiter[n].refused && !limiter[n].refusedFromBlockCache && !failing(limiter[n]));
  const children = rows.flat().filter(Boolean);
  if (quiet) children.push(h("p", { class: "sub" }, "Nothing refused, no limiter failures."));
  else
    children.push(
      h(
        "p",
        { class: "sub" },
        "Each limit counts the requests it refused itself. Authenticated requests spend tenant and key, failed credentials spend client and auth; each pair is checked together, so neither spends when the other refuses.",
      ),
    );
  box.replaceChildren(...children);
  const anyFailure = names.some((n) => failing(limiter[n]));
  setTile("limiter", anyFailure ? "warn" : "");
}

/** What the rate limits do while Upstash cannot answer, as far as the counters tell. */
function limitsWhileDown(s) {
  if (!s || !s.limiter) return "rate limiting is off.";
  const names = LIMITERS.filter((name) => s.limiter[name]);
  const sum = (field) => names.reduce((n, name) => n + (s.limiter[name][field] ?? 0), 0);
  const open = sum("failedOpen");
  const closed = sum("failedClosed");
  const local = sum("localAllowed") + sum("localRefused");
  if (local > open + closed) return "each isolate enforces the rate limits on its own (at most limit × isolates pass).";
  if (closed > open) return "rate limits fail closed: limited requests are refused.";
  if (open > 0) return "rate limits fail open: requests go through unlimited.";
  return "rate limits cannot be checked.";
}

/** The plain-language problems at the top of the page. */
function renderBanners() {
  const s = state.stats;
  const hl = state.health;
  const items = [];
  if (state.statsError) {
    const e = state.statsError;
    items.push({ level: "bad", text: `Stats are unavailable: ${e.message}${e.status ? ` (HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ""})` : ""}. Showing the last figures; retrying.` });
  }
  const upstashDown = (hl && hl.reachable && !hl.healthy) || (s && s.upstash && s.upstash.error) || (s && s.backend.failing);
  if (s && s.backend.misconfigured) {
    items.push({
      level: "bad",
      text: `Upstash refuses the worker's token (misconfigured): ${s.backend.lastError ?? "unauthorized"}. Check UPSTASH_REDIS_REST_TOKEN. Reads go to D1; ${limitsWhileDown(s)}`,
    });
  } else if (upstashDown) {
    const why = (s && s.upstash && s.upstash.error) || (hl && hl.error) || (s && s.backend.lastError) || "no answer";
    items.push({
      level: "bad",
      text: `Upstash is down (${why}). The worker serves from D1 and its in-isolate cache; invalidations wait in the outbox; ${limitsWhileDown(s)} This page keeps working; figures from Upstash are missing.`,
    });
  }
  if (hl && !hl.reachable) items.push({ level: "bad", text: "The worker's /health does not answer." });
  if (s && s.breaker.open) items.push({ level: "warn", text: `The circuit breaker is open (${duration(s.breaker.openForMs)}): Upstash calls are skipped until it cools down.` });
  if (s && s.outbox.depth > 0) items.push({ level: "warn", text: `${plural(s.outbox.depth, "invalidation")} waiting in the outbox for the cache to answer.` });
  if (s && s.backend.kind === "memory") items.push({ level: "info", text: "No Upstash configured: the cache is in-isolate memory only, and rate limiting and live events are off." });
  if (s && s.backend.kind === "none") items.push({ level: "info", text: "Caching is off on this worker: every read goes to D1." });
  if (s && !s.limiter && s.backend.kind !== "memory") items.push({ level: "info", text: "Rate limiting is off on this worker." });
  const box = $("banners");
  box.replaceChildren(...items.map((item) => h("p", { class: `banner ${item.level}`, role: item.level === "bad" ? "alert" : null, dataset: { level: item.level } }, item.text)));
}

function renderPollStatus() {
  const status = $("poll-status");
  const s = state.stats;
  if (state.statsError) {
    status.textContent = `Stats failed ${clock(Date.now())}`;
    status.dataset.state = "bad";
  } else if (s) {
    status.textContent = `Updated ${clock(s.timestampMs)}${pollMs > 0 ? "" : " · paused"}`;
    status.dataset.state = "ok";
  }
}

let chartWidth = 0;
function renderChart() {
  const container = $("chart");
  const width = Math.floor(container.clientWidth);
  if (!width) return;
  chartWidth = width;
  const height = width < 480 ? 210 : 290;
  const { points, minSpanMs } = fleet?.active() ? fleet.chart() : { points: state.points, minSpanMs: 60_000 };
  drawChart(container, points, { width, height, series: SERIES, minSpanMs });
}

// ------------------------------------------------------------------ poll

let pollTimer = null;
let pollMs = Number(localStorage.getItem(INTERVAL_KEY) ?? 3000);
let api = null;

async function poll() {
  clearTimeout(pollTimer);
  const [statsResult, healthResult] = await Promise.allSettled([api.get("/admin/stats"), fetchHealth(), fleet?.active() ? fleet.refresh() : null]);
  if (signingOut) return;
  if (statsResult.status === "fulfilled") {
    state.stats = statsResult.value;
    state.statsError = null;
    recordRates(state.stats);
  } else {
    state.statsError = statsResult.reason;
  }
  state.health = healthResult.status === "fulfilled" ? healthResult.value : { reachable: false, error: "the worker did not answer" };
  render();
  schedulePoll();
}

function schedulePoll() {
  clearTimeout(pollTimer);
  if (pollMs > 0) pollTimer = setTimeout(poll, pollMs);
}

function render() {
  renderTiles();
  fleet?.render();
  renderBanners();
  renderPollStatus();
  renderChart();
  forms?.update(state.stats);
}

// ------------------------------------------------------------------ feed

const feedEvents = [];

function renderFeedItem(event) {
  const at = typeof event.atMs === "number" ? event.atMs : Date.now();
  const groups = [
    ["tags", event.tags],
    ["keys", event.keys],
    ["cleared", event.namespaces],
  ].filter(([, list]) => Array.isArray(list) && list.length);
  const lines = groups.map(([kind, list]) => {
    const shown = list.slice(0, 8).map((item) => h("code", {}, item));
    const more = list.length > 8 ? h("span", { class: "muted" }, ` +${count(list.length - 8)} more`) : null;
    return h("div", { class: "event-line" }, h("span", { class: `kind kind-${kind}` }, kind), h("span", { class: "items" }, shown, more));
  });
  if (!lines.length) lines.push(h("div", { class: "event-line muted" }, "everything (no keys, tags or namespaces named)"));
  return h("li", { class: "event" }, h("time", { datetime: iso(at), title: iso(at) }, clock(at)), h("div", { class: "event-body" }, lines));
}

function addFeedEvent(event) {
  feedEvents.unshift(event);
  const list = $("feed");
  list.prepend(renderFeedItem(event));
  while (list.children.length > MAX_FEED) list.lastElementChild.remove();
  if (feedEvents.length > MAX_FEED) feedEvents.length = MAX_FEED;
  $("feed-empty").hidden = true;
}

let feedCountdown = null;
function renderFeedState({ state: feedState, message, retryAt, channel }) {
  const pill = $("feed-state");
  const detail = $("feed-detail");
  clearInterval(feedCountdown);
  pill.dataset.state = feedState;
  const labels = { connecting: "connecting", live: "live", reconnecting: "reconnecting", off: "off", stopped: "stopped" };
  pill.textContent = labels[feedState] ?? feedState;
  if (feedState === "live") detail.textContent = `Subscribed to ${channel ?? "the events channel"}.`;
  else if (feedState === "connecting") detail.textContent = "Connecting to /admin/events…";
  else if (feedState === "off") detail.textContent = `Live events are off: ${message}.`;
  else if (feedState === "reconnecting") {
    const tick = () => {
      const left = Math.max(0, retryAt - Date.now());
      detail.textContent = `${message ? `${message[0].toUpperCase()}${message.slice(1)}. ` : ""}Reconnecting in ${Math.ceil(left / 1000)} s.`;
    };
    tick();
    feedCountdown = setInterval(tick, 1000);
  } else detail.textContent = "";
}

// ------------------------------------------------------------------ start

let forms = null;
/** The fleet view and the toggle to this one (fleet.js). */
let fleet = null;

function startDashboard(initialStats) {
  $("app").hidden = false;
  const onAuthRefused = (error) => signOut(authMessage(error));
  api = adminApi(onAuthRefused);
  forms = setupForms({ api, h, getStats: () => state.stats });
  setupLimits({ api, h }).refresh();
  fleet = setupFleet({
    api,
    h,
    onChange: () => {
      render();
      poll();
    },
  });

  const interval = $("poll-interval");
  if (![...interval.options].some((o) => Number(o.value) === pollMs)) pollMs = 3000;
  interval.value = String(pollMs);
  interval.addEventListener("change", () => {
    pollMs = Number(interval.value);
    localStorage.setItem(INTERVAL_KEY, String(pollMs));
    if (pollMs > 0) poll();
    else {
      clearTimeout(pollTimer);
      renderPollStatus();
    }
  });
  $("signout").addEventListener("click", () => signOut(null));

  const feed = new LiveFeed({
    getToken: () => sessionStorage.getItem(TOKEN_KEY),
    onState: renderFeedState,
    onEvent: addFeedEvent,
    onAuthRefused,
  });
  $("feed-reconnect").addEventListener("click", () => feed.reconnectNow());
  $("feed-clear").addEventListener("click", () => {
    feedEvents.length = 0;
    $("feed").replaceChildren();
    $("feed-empty").hidden = false;
  });
  feed.start();

  new ResizeObserver(() => {
    if (Math.floor($("chart").clientWidth) !== chartWidth) renderChart();
  }).observe($("chart"));

  if (initialStats) {
    state.stats = initialStats;
    recordRates(initialStats);
  }
  render();
  poll();
}

if (sessionStorage.getItem(TOKEN_KEY)) {
  startDashboard(null);
} else {
  showSignin();
}
