// @ts-check
// The cache's operation forms: invalidate keys or tags
// (POST /admin/cache/invalidate) and clear the cache, all of it or one
// namespace, after a confirmation (POST /admin/cache/clear).

import { $ } from "./dom.js";
import { clock, count, plural } from "./format.js";
import { busy, clear, fail, items, show } from "./results.js";

/** @typedef {import("./types.js").IsolateStats} IsolateStats */
/** @typedef {{ post(path: string, body?: object): Promise<any> }} Api */

/**
 * @param {object} options
 * @param {Api} options.api the admin API
 * @param {() => IsolateStats | null} options.getStats the last stats (the key prefix the confirmation names)
 */
export function setupCacheOps({ api, getStats }) {
  setupInvalidate(api);
  setupClear(api, getStats);
}

/** @param {Api} api */
function setupInvalidate(api) {
  const tagsField = $("inv-tags", HTMLTextAreaElement);
  const keysField = $("inv-keys", HTMLTextAreaElement);
  $("invalidate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const tags = items(tagsField.value);
    const keys = items(keysField.value);
    if (!tags.length && !keys.length) {
      show("invalidate-result", "error", "Give at least one tag or key.");
      tagsField.focus();
      return;
    }
    if (tags.length + keys.length > 1000) {
      show("invalidate-result", "error", `At most 1000 keys and tags in all; this is ${count(tags.length + keys.length)}.`);
      return;
    }
    /** @type {{ tags?: string[], keys?: string[] }} */
    const body = {};
    if (tags.length) body.tags = tags;
    if (keys.length) body.keys = keys;
    clear("invalidate-result");
    const form = /** @type {HTMLFormElement} */ (event.target);
    const button = /** @type {HTMLButtonElement} */ (/** @type {SubmitEvent} */ (event).submitter ?? form.querySelector("button[type=submit]"));
    await busy(button, "Invalidating…", async () => {
      try {
        const { invalidated } = await api.post("/admin/cache/invalidate", body);
        show("invalidate-result", "ok", `Invalidated ${plural(invalidated.keys, "key")} and ${plural(invalidated.tags, "tag")} at ${clock(Date.now())}.`);
      } catch (error) {
        fail("invalidate-result", "Not invalidated", error);
      }
    });
  });
}

/**
 * @param {Api} api
 * @param {() => IsolateStats | null} getStats
 */
function setupClear(api, getStats) {
  const confirm = $("clear-confirm");
  const namespace = $("clear-namespace", HTMLSelectElement);
  const start = $("clear-start", HTMLButtonElement);
  const yes = $("clear-yes", HTMLButtonElement);
  $("clear-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = namespace.value;
    const prefix = getStats()?.settings.keyPrefix ?? "the key prefix";
    $("clear-confirm-text").textContent = chosen
      ? `Clear every cached ${chosen} entry (${prefix}:${chosen})? Those reads go to D1 until the cache refills.`
      : `Clear everything under ${prefix}? Every read goes to D1 until the cache refills.`;
    confirm.hidden = false;
    start.disabled = true;
    clear("clear-result");
    yes.textContent = chosen ? `Yes, clear ${chosen}` : "Yes, clear everything";
    yes.focus();
  });
  const close = () => {
    confirm.hidden = true;
    start.disabled = false;
  };
  $("clear-no").addEventListener("click", () => {
    close();
    start.focus();
  });
  yes.addEventListener("click", async () => {
    const chosen = namespace.value;
    await busy(yes, "Clearing…", async () => {
      try {
        const { cleared } = await api.post("/admin/cache/clear", chosen ? { namespace: chosen } : {});
        show("clear-result", "ok", `Cleared ${cleared} at ${clock(Date.now())}.`);
      } catch (error) {
        fail("clear-result", "Not cleared", error);
      }
    });
    close();
  });
}
