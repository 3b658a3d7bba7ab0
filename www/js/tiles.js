// @ts-check
// The tiles the isolate view (overview.js) and the fleet view (fleet.js)
// both show, rendered once for both: hit rate, hits by tier, stale,
// coalesced, backend errors, and the rate-limit tile's rows. `view` is the
// prefix of the tile names: "" for the isolate's, "fleet-" for the fleet's.

import { h, setBar, setText, setTile } from "./dom.js";
import { count, percent, plural } from "./format.js";

/** Limiters in the order shown: what authenticated requests spend, then what failed credentials spend. */
export const LIMITER_ORDER = ["tenant", "key", "client", "auth"];

/**
 * Why a decision was not Redis's plain answer, in words; `where` is who
 * decided without Redis ("this isolate" or "an isolate").
 * @param {string} reason
 * @param {string} where
 */
export function reasonText(reason, where) {
  /** @type {Record<string, string>} */
  const words = {
    none: "over the limit",
    cache_block: "block cache",
    timeout: "timeout",
    backend_error: "backend error",
    backend_misconfigured: "backend misconfigured",
    circuit_open: "breaker open",
    local_fallback: `decided in ${where}`,
    deny_list: "deny list",
  };
  return words[reason] ?? reason.replace(/_/g, " ");
}

/**
 * Hit rate: "—" and `empty` before any read, else the rate and "hits of reads" with `detail` after.
 * @param {string} view
 * @param {{ reads: number, hits: number, hitRate: number }} figures hits counting stale ones
 * @param {{ empty: string, detail: string }} text
 */
export function hitRateTile(view, { reads, hits, hitRate }, { empty, detail }) {
  if (reads === 0) {
    setText(`${view}hit-rate`, "—");
    setText(`${view}hit-rate-sub`, empty);
    setTile(`${view}hit-rate`, "idle");
  } else {
    setText(`${view}hit-rate`, percent(hitRate));
    setText(`${view}hit-rate-sub`, `${count(hits)} of ${plural(reads, "read")}${detail}`);
    setTile(`${view}hit-rate`, "");
  }
}

/**
 * Hits by tier (L1 and L2, with their share as two bars), stale served and coalesced.
 * @param {string} view
 * @param {{ l1Hits: number, l2Hits: number, negativeHits: number, staleServed: number, coalesced: number }} cache
 */
export function tierTiles(view, cache) {
  setText(`${view}l1`, count(cache.l1Hits));
  setText(`${view}l2`, count(cache.l2Hits));
  const tiers = cache.l1Hits + cache.l2Hits;
  setBar(`${view}l1`, tiers ? cache.l1Hits / tiers : 0);
  setBar(`${view}l2`, tiers ? cache.l2Hits / tiers : 0);
  setText(`${view}hits-sub`, `${count(cache.negativeHits)} of them negative (a cached “absent”)`);
  setText(`${view}stale`, count(cache.staleServed));
  setText(`${view}stale-sub`, "answered from the grace period while refreshing");
  setText(`${view}coalesced`, count(cache.coalesced));
  setText(`${view}coalesced-sub`, "waited for another read's load instead of their own");
}

/**
 * Backend errors: failed and refused calls, with the ones a breaker skipped and the fenced writes.
 * @param {string} view
 * @param {{ backendErrors: number, misconfigured: number, breakerSkips: number, fencedRefusals: number }} cache
 * @param {{ breaker: string, lastError?: string | null, state: string }} detail `breaker`: "breaker" or "a breaker"
 */
export function errorsTile(view, cache, { breaker, lastError, state }) {
  setText(`${view}errors`, count(cache.backendErrors + cache.misconfigured));
  setText(
    `${view}errors-sub`,
    `${count(cache.backendErrors)} failed · ${count(cache.misconfigured)} refused token · ${count(cache.breakerSkips)} skipped by ${breaker} · ${count(cache.fencedRefusals)} fenced writes` +
      (lastError ? ` · last: ${lastError}` : ""),
  );
  setTile(`${view}errors`, state);
}

/**
 * The rate-limit tile of a worker without rate limiting.
 * @param {string} view
 * @param {Element} box
 */
export function limiterOff(view, box) {
  box.replaceChildren(h("p", { class: "value" }, "Off"), h("p", { class: "sub" }, "Rate limiting is off on this worker (it needs Upstash)."));
  setTile(`${view}limiter`, "idle");
}

/**
 * One limiter's row: its name and `note`, what it allowed and what it refused.
 * @param {string} name
 * @param {string} note
 * @param {number} allowed
 * @param {number} refused
 */
export function limiterRow(name, note, allowed, refused) {
  return h(
    "div",
    { class: "limiter-row", dataset: { limiter: name } },
    h("span", { class: "limiter-name" }, name, h("small", {}, note)),
    h("span", { class: "limiter-figure ok-text" }, h("small", {}, "allowed"), h("strong", { dataset: { field: "allowed" } }, count(allowed))),
    h("span", { class: `limiter-figure ${refused ? "bad-text" : ""}` }, h("small", {}, "refused"), h("strong", { dataset: { field: "refused" } }, count(refused))),
  );
}
