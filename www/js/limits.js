// @ts-check
// Overrides of a limit for one identifier, and the deny list: the admin
// routes /admin/ratelimit/{limiter}/{id}/override and /admin/ratelimit/deny.

import { $, h } from "./dom.js";
import { clock, dateTime } from "./format.js";
import { fail, items as lines, show } from "./results.js";

/** @typedef {{ get(path: string): Promise<any>, put(path: string, body: object): Promise<any>, post(path: string, body?: object): Promise<any>, del(path: string, body?: object): Promise<any> }} Api */
/** @typedef {{ limiter: string, identifier: string, limit: number, windowSecs: number }} Override */
/** @typedef {{ entry: string, kind: string, endsMs: number }} DenyEntry */

/**
 * Sets up both forms; answers `refresh()`, which reads the deny list again.
 * @param {Api} api
 */
export function setupLimits(api) {
  const identifier = $("ovr-identifier", HTMLInputElement);
  const limitField = $("ovr-limit", HTMLInputElement);
  const windowField = $("ovr-window", HTMLInputElement);

  // ------------------------------------------------------------- overrides
  /** The override's route, or null (and says why) without an identifier. */
  const overridePath = () => {
    const id = identifier.value.trim();
    if (!id) {
      show("override-result", "error", "Enter an identifier.");
      identifier.focus();
      return null;
    }
    return `/admin/ratelimit/${$("ovr-limiter", HTMLSelectElement).value}/${encodeURIComponent(id)}/override`;
  };
  /** @param {Override} o */
  const describe = (o) => `${o.limiter} ${o.identifier}: ${o.limit} per ${o.windowSecs} s`;
  $("ovr-get").addEventListener("click", async () => {
    const path = overridePath();
    if (!path) return;
    try {
      const found = await api.get(path);
      limitField.value = String(found.limit);
      windowField.value = String(found.windowSecs);
      show("override-result", "info", `Override of ${describe(found)}.`);
    } catch (error) {
      if (/** @type {{ status?: number }} */ (error).status === 404) show("override-result", "info", "No override: the limiter's own limit applies.");
      else fail("override-result", "Lookup failed", error);
    }
  });
  $("override-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const path = overridePath();
    if (!path) return;
    const limit = Number(limitField.value);
    const windowSecs = Number(windowField.value);
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(windowSecs) || windowSecs < 1) {
      show("override-result", "error", "Limit and window are whole numbers of at least 1.");
      return;
    }
    try {
      const set = await api.put(path, { limit, windowSecs });
      show("override-result", "ok", `Set ${describe(set)} at ${clock(Date.now())}.`);
    } catch (error) {
      fail("override-result", "Not set", error);
    }
  });
  $("ovr-clear").addEventListener("click", async () => {
    const path = overridePath();
    if (!path) return;
    try {
      await api.del(path);
      show("override-result", "ok", "Cleared: the limiter's own limit applies again.");
    } catch (error) {
      if (/** @type {{ status?: number }} */ (error).status === 404) show("override-result", "info", "There was no override to clear.");
      else fail("override-result", "Not cleared", error);
    }
  });

  // ------------------------------------------------------------- deny list
  async function refresh() {
    try {
      /** @type {{ entries: DenyEntry[] }} */
      const { entries } = await api.get("/admin/ratelimit/deny");
      const rows = entries.map((entry) => {
        const remove = h("button", { type: "button", class: "small" }, "Remove");
        remove.addEventListener("click", async () => {
          const body = entry.kind === "ip" ? { ips: [entry.entry] } : { identifiers: [entry.entry] };
          try {
            await api.del("/admin/ratelimit/deny", body);
            show("deny-result", "ok", `Removed ${entry.entry}.`);
            await refresh();
          } catch (error) {
            fail("deny-result", "Not removed", error);
          }
        });
        return h("li", { "data-entry": entry.entry }, h("code", {}, entry.entry), ` ${entry.kind}, until ${dateTime(entry.endsMs)} `, remove);
      });
      $("deny-list").replaceChildren(...(rows.length ? rows : [h("li", { class: "muted" }, "Nobody is denied.")]));
    } catch (error) {
      fail("deny-result", "Could not read the deny list", error);
    }
  }
  $("deny-refresh").addEventListener("click", refresh);
  $("deny-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const ips = lines($("deny-ips", HTMLTextAreaElement).value);
    const identifiers = lines($("deny-ids", HTMLTextAreaElement).value);
    const ttlSecs = Number($("deny-ttl", HTMLInputElement).value);
    if (!ips.length && !identifiers.length) {
      show("deny-result", "error", "Enter a network or a tenant.");
      return;
    }
    if (!Number.isInteger(ttlSecs) || ttlSecs < 1) {
      show("deny-result", "error", "For how long: a whole number of seconds, at least 1.");
      return;
    }
    try {
      const { added } = await api.post("/admin/ratelimit/deny", { ips, identifiers, ttlSecs });
      show("deny-result", "ok", `Denied ${added.join(", ")} for ${ttlSecs} s.`);
      $("deny-ips", HTMLTextAreaElement).value = "";
      $("deny-ids", HTMLTextAreaElement).value = "";
      await refresh();
    } catch (error) {
      fail("deny-result", "Not denied", error);
    }
  });
  return { refresh };
}
