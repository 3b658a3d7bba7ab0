// Overrides of a limit for one identifier, and the deny list: the admin
// routes /admin/ratelimit/{limiter}/{id}/override and /admin/ratelimit/deny.

import { describeError } from "./api.js";
import { clock, dateTime } from "./format.js";

const $ = (id) => document.getElementById(id);

/** Lines of a textarea, trimmed, no blanks, no repeats. */
const lines = (text) => [...new Set(text.split("\n").map((s) => s.trim()).filter(Boolean))];

export function setupLimits({ api, h }) {
  function show(id, kind, message, error = null) {
    const node = $(id);
    node.dataset.kind = kind;
    node.setAttribute("role", kind === "error" ? "alert" : "status");
    const status = error ? describeError(error).status : null;
    node.replaceChildren(h("span", { class: "result-text" }, status ? `${message} (HTTP ${status})` : message));
  }
  const fail = (id, what, error) => show(id, "error", `${what}: ${describeError(error).message}`, error);

  // ------------------------------------------------------------- overrides
  const overridePath = () => {
    const identifier = $("ovr-identifier").value.trim();
    if (!identifier) {
      show("override-result", "error", "Enter an identifier.");
      $("ovr-identifier").focus();
      return null;
    }
    return `/admin/ratelimit/${$("ovr-limiter").value}/${encodeURIComponent(identifier)}/override`;
  };
  const describe = (o) => `${o.limiter} ${o.identifier}: ${o.limit} per ${o.windowSecs} s`;
  $("ovr-get").addEventListener("click", async () => {
    const path = overridePath();
    if (!path) return;
    try {
      const found = await api.get(path);
      $("ovr-limit").value = found.limit;
      $("ovr-window").value = found.windowSecs;
      show("override-result", "info", `Override of ${describe(found)}.`);
    } catch (error) {
      if (error.status === 404) show("override-result", "info", "No override: the limiter's own limit applies.");
      else fail("override-result", "Lookup failed", error);
    }
  });
  $("override-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const path = overridePath();
    if (!path) return;
    const limit = Number($("ovr-limit").value);
    const windowSecs = Number($("ovr-window").value);
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
      if (error.status === 404) show("override-result", "info", "There was no override to clear.");
      else fail("override-result", "Not cleared", error);
    }
  });

  // ------------------------------------------------------------- deny list
  async function refresh() {
    try {
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
    const ips = lines($("deny-ips").value);
    const identifiers = lines($("deny-ids").value);
    const ttlSecs = Number($("deny-ttl").value);
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
      $("deny-ips").value = "";
      $("deny-ids").value = "";
      await refresh();
    } catch (error) {
      fail("deny-result", "Not denied", error);
    }
  });
  return { refresh };
}
