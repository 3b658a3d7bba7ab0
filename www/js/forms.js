// The operation forms: invalidate, clear, warm, rate limits, tenant keys.
// Each form shows its own result or error (with the request id of a 5xx)
// right under it.

import { describeError } from "./api.js";
import { clock, count, dateTime, duration, plural } from "./format.js";

const $ = (id) => document.getElementById(id);
const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Splits a textarea into items: one per line (or comma-separated), trimmed, no blanks, no repeats. */
function items(text, { commas = false } = {}) {
  const parts = text.split(commas ? /[\n,]/ : /\n/).map((s) => s.trim()).filter(Boolean);
  return [...new Set(parts)];
}

export function setupForms({ api, h, getStats }) {
  /** Shows `message` under a form: kind ok | error | info. An error's status and request id go with it. */
  function show(id, kind, message, error = null) {
    const node = $(id);
    node.dataset.kind = kind;
    node.setAttribute("role", kind === "error" ? "alert" : "status");
    const parts = [h("span", { class: "result-text" }, message)];
    if (error) {
      const { status, requestId } = describeError(error);
      const meta = [];
      if (status) meta.push([`HTTP ${status}`]);
      if (requestId) meta.push(["request id ", h("code", { class: "request-id" }, requestId)]);
      if (meta.length) parts.push(h("span", { class: "result-meta" }, " (", meta.flatMap((m, i) => (i ? [", ", ...m] : m)), ")"));
    }
    node.replaceChildren(...parts);
  }
  const clear = (id) => {
    const node = $(id);
    node.replaceChildren();
    delete node.dataset.kind;
  };
  const fail = (id, what, error) => show(id, "error", `${what}: ${describeError(error).message}`, error);

  /** Runs `work` with `button` disabled (and saying `busyText`). */
  async function busy(button, busyText, work) {
    const text = button.textContent;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.textContent = busyText;
    try {
      return await work();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = text;
    }
  }

  // ------------------------------------------------------------ invalidate
  $("invalidate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const tags = items($("inv-tags").value);
    const keys = items($("inv-keys").value);
    if (!tags.length && !keys.length) {
      show("invalidate-result", "error", "Give at least one tag or key.");
      $("inv-tags").focus();
      return;
    }
    if (tags.length + keys.length > 1000) {
      show("invalidate-result", "error", `At most 1000 keys and tags in all; this is ${count(tags.length + keys.length)}.`);
      return;
    }
    const body = {};
    if (tags.length) body.tags = tags;
    if (keys.length) body.keys = keys;
    clear("invalidate-result");
    const button = event.submitter ?? event.target.querySelector("button[type=submit]");
    await busy(button, "Invalidating…", async () => {
      try {
        const { invalidated } = await api.post("/admin/cache/invalidate", body);
        show("invalidate-result", "ok", `Invalidated ${plural(invalidated.keys, "key")} and ${plural(invalidated.tags, "tag")} at ${clock(Date.now())}.`);
      } catch (error) {
        fail("invalidate-result", "Not invalidated", error);
      }
    });
  });

  // ----------------------------------------------------------------- clear
  const clearConfirm = $("clear-confirm");
  $("clear-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const namespace = $("clear-namespace").value;
    const prefix = getStats()?.settings.keyPrefix ?? "the key prefix";
    $("clear-confirm-text").textContent = namespace
      ? `Clear every cached ${namespace} entry (${prefix}:${namespace})? Those reads go to D1 until the cache refills.`
      : `Clear everything under ${prefix}? Every read goes to D1 until the cache refills.`;
    clearConfirm.hidden = false;
    $("clear-start").disabled = true;
    clear("clear-result");
    $("clear-yes").textContent = namespace ? `Yes, clear ${namespace}` : "Yes, clear everything";
    $("clear-yes").focus();
  });
  const closeConfirm = () => {
    clearConfirm.hidden = true;
    $("clear-start").disabled = false;
  };
  $("clear-no").addEventListener("click", () => {
    closeConfirm();
    $("clear-start").focus();
  });
  $("clear-yes").addEventListener("click", async () => {
    const namespace = $("clear-namespace").value;
    await busy($("clear-yes"), "Clearing…", async () => {
      try {
        const { cleared } = await api.post("/admin/cache/clear", namespace ? { namespace } : {});
        show("clear-result", "ok", `Cleared ${cleared} at ${clock(Date.now())}.`);
      } catch (error) {
        fail("clear-result", "Not cleared", error);
      }
    });
    closeConfirm();
  });

  // ------------------------------------------------------------------ warm
  const warmBar = $("warm-bar");
  const warmText = $("warm-progress-text");
  let warmStop = false;
  let warmResumeAfter = null;
  const warmMode = () => document.querySelector('input[name="warm-mode"]:checked').value;
  for (const radio of document.querySelectorAll('input[name="warm-mode"]')) {
    radio.addEventListener("change", () => {
      $("warm-list-fields").hidden = warmMode() !== "list";
      $("warm-all-fields").hidden = warmMode() !== "all";
      warmResumeAfter = null;
      $("warm-start").textContent = "Warm";
    });
  }
  /** ratio null: indeterminate (the total is unknown). */
  function setProgress(ratio, text) {
    $("warm-progress").hidden = false;
    const fill = warmBar.firstElementChild;
    if (ratio === null) {
      warmBar.dataset.indeterminate = "true";
      warmBar.removeAttribute("aria-valuenow");
      warmBar.removeAttribute("aria-valuemax");
      fill.style.width = "";
    } else {
      delete warmBar.dataset.indeterminate;
      warmBar.setAttribute("aria-valuemax", "100");
      warmBar.setAttribute("aria-valuenow", String(Math.round(ratio * 100)));
      fill.style.width = `${ratio * 100}%`;
    }
    warmBar.setAttribute("aria-valuetext", text);
    warmText.textContent = text;
  }
  const totalsText = (t) =>
    `${count(t.warmed)} warmed · ${count(t.skipped)} skipped · ${count(t.failed)} failed · ${count(t.missing)} missing`;
  const add = (t, r) => {
    for (const k of ["tenants", "warmed", "skipped", "failed", "missing"]) t[k] += r[k] ?? 0;
  };

  $("warm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clear("warm-result");
    delete warmBar.dataset.failed;
    const mode = warmMode();
    const totals = { tenants: 0, warmed: 0, skipped: 0, failed: 0, missing: 0 };
    const start = $("warm-start");
    const stop = $("warm-stop");
    warmStop = false;
    if (mode === "list") {
      const tenants = items($("warm-tenants").value, { commas: true });
      const bad = tenants.filter((t) => !TENANT_ID.test(t));
      if (!tenants.length) return show("warm-result", "error", "List at least one tenant id.");
      if (bad.length) return show("warm-result", "error", `Not tenant ids ([A-Za-z0-9_-], 1–64 characters): ${bad.slice(0, 5).join(", ")}${bad.length > 5 ? "…" : ""}`);
      start.disabled = true;
      stop.hidden = false;
      try {
        for (let i = 0; i < tenants.length && !warmStop; i += 500) {
          setProgress(i / tenants.length, `${count(i)} of ${plural(tenants.length, "tenant")}…`);
          add(totals, await api.post("/admin/cache/warm", { tenants: tenants.slice(i, i + 500) }));
        }
        setProgress(totals.tenants / tenants.length, `${count(totals.tenants)} of ${plural(tenants.length, "tenant")}: ${totalsText(totals)}`);
        show("warm-result", totals.failed ? "error" : "ok", `${warmStop ? "Stopped" : "Done"} at ${clock(Date.now())}: ${totalsText(totals)}.`);
      } catch (error) {
        fail("warm-result", `Stopped after ${plural(totals.tenants, "tenant")}`, error);
      } finally {
        start.disabled = false;
        stop.hidden = true;
      }
      return;
    }
    // All tenants: page through them, following `next` until it is null.
    const limit = Number($("warm-limit").value);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return show("warm-result", "error", "Tenants per request must be a whole number from 1 to 500.");
    let after = warmResumeAfter;
    let page = 0;
    start.disabled = true;
    stop.hidden = false;
    setProgress(null, after ? `Resuming after ${after}…` : "Starting…");
    try {
      for (;;) {
        const body = { all: true, limit };
        if (after) body.after = after;
        const answer = await api.post("/admin/cache/warm", body);
        page += 1;
        add(totals, answer);
        after = answer.next;
        warmResumeAfter = after;
        if (!after) break;
        // The API does not say how many tenants there are, so the bar cannot be a fraction: it moves, with counts.
        setProgress(null, `Page ${page}: ${plural(totals.tenants, "tenant")} so far · ${totalsText(totals)} · next after ${after}`);
        if (warmStop) break;
      }
      if (after) {
        setProgress(null, `Stopped after page ${page}: ${plural(totals.tenants, "tenant")} · ${totalsText(totals)}`);
        show("warm-result", "info", `Stopped. Warm again to resume after ${after}.`);
        start.textContent = "Resume";
      } else {
        setProgress(1, `Done: ${plural(totals.tenants, "tenant")} in ${plural(page, "page")} · ${totalsText(totals)}`);
        show("warm-result", totals.failed ? "error" : "ok", `Warmed every tenant at ${clock(Date.now())}: ${totalsText(totals)}.`);
        start.textContent = "Warm";
        warmResumeAfter = null;
      }
    } catch (error) {
      setProgress(null, `Stopped at page ${page + 1}: ${plural(totals.tenants, "tenant")} done · ${totalsText(totals)}`);
      delete warmBar.dataset.indeterminate;
      warmBar.dataset.failed = "true";
      fail("warm-result", after ? `Stopped (warm again to resume after ${after})` : "Not warmed", error);
      if (after) start.textContent = "Resume";
    } finally {
      start.disabled = false;
      stop.hidden = true;
    }
  });
  $("warm-stop").addEventListener("click", () => {
    warmStop = true;
    $("warm-stop").hidden = true;
  });

  // ----------------------------------------------------------- rate limits
  const rlPath = () => `/admin/ratelimit/${$("rl-limiter").value}/${encodeURIComponent($("rl-identifier").value.trim())}`;
  function rlValid() {
    const identifier = $("rl-identifier").value.trim();
    if (!identifier) {
      const want = { tenant: "Enter a tenant id.", key: "Enter a key id." }[$("rl-limiter").value] ?? "Enter a client IP address.";
      show("ratelimit-result", "error", want);
      $("rl-identifier").focus();
      return false;
    }
    if (["tenant", "llm"].includes($("rl-limiter").value) && !TENANT_ID.test(identifier)) {
      show("ratelimit-result", "error", "A tenant id is 1–64 characters of A–Z, a–z, 0–9, _ and -.");
      return false;
    }
    return true;
  }
  function showLimit(answer) {
    $("rl-answer").hidden = false;
    $("rl-remaining").textContent = count(answer.remaining);
    $("rl-limit").textContent = count(answer.limit);
    $("rl-bar").style.width = `${answer.limit ? (answer.remaining / answer.limit) * 100 : 0}%`;
    const now = Date.now();
    const full = answer.resetMs > now ? `full again at ${clock(answer.resetMs)} (in ${duration(answer.resetMs - now)})` : "full";
    const retry = answer.retryAfterMs > 0 ? ` · refused for ${duration(answer.retryAfterMs)} more` : "";
    const slots = answer.slots ? ` · slots ${answer.slots.inUse} in use of ${answer.slots.limit}` : "";
    $("rl-detail").textContent = `${answer.limiter} ${answer.identifier} · ${full}${retry}${slots}`;
  }
  $("ratelimit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!rlValid()) return;
    clear("ratelimit-result");
    await busy($("rl-lookup"), "Looking up…", async () => {
      try {
        const answer = await api.get(rlPath());
        showLimit(answer);
        show("ratelimit-result", "info", `Looked up at ${clock(Date.now())}.`);
      } catch (error) {
        $("rl-answer").hidden = true;
        fail("ratelimit-result", "Lookup failed", error);
      }
    });
  });
  $("rl-reset").addEventListener("click", async () => {
    if (!rlValid()) return;
    clear("ratelimit-result");
    await busy($("rl-reset"), "Resetting…", async () => {
      try {
        const { limiter, identifier } = await api.del(rlPath());
        showLimit(await api.get(rlPath()));
        show("ratelimit-result", "ok", `Reset ${limiter} ${identifier} at ${clock(Date.now())}.`);
      } catch (error) {
        fail("ratelimit-result", "Reset failed", error);
      }
    });
  });

  // ---------------------------------------------------------- tenant keys
  function keysTenant() {
    const tenant = $("keys-tenant").value.trim();
    if (!TENANT_ID.test(tenant)) {
      show("keys-result", "error", "A tenant id is 1–64 characters of A–Z, a–z, 0–9, _ and -.");
      $("keys-tenant").focus();
      return null;
    }
    return tenant;
  }
  function renderKeys(tenant, keys) {
    $("keys-listing").hidden = false;
    $("keys-caption").textContent = keys.length ? `${plural(keys.length, "key")} of ${tenant}, newest first` : `${tenant} has no API keys.`;
    const sorted = [...keys].sort((a, b) => b.createdAtMs - a.createdAtMs);
    $("keys-list-items").replaceChildren(
      ...sorted.map(({ id, createdAtMs }) => {
        const revoke = h("button", { type: "button", class: "small danger-outline", "aria-label": `Revoke key ${id}` }, "Revoke");
        const item = h(
          "li",
          { class: "key-item", dataset: { keyId: id } },
          h("span", { class: "key-meta" }, h("code", { class: "key-id" }, id), h("span", { class: "muted" }, `created ${dateTime(createdAtMs)}`)),
          revoke,
        );
        revoke.addEventListener("click", () => confirmRevoke(item, tenant, id));
        return item;
      }),
    );
  }
  function confirmRevoke(item, tenant, id) {
    if (item.querySelector(".revoke-confirm")) return;
    const yes = h("button", { type: "button", class: "small danger", "aria-label": `Confirm: revoke key ${id}` }, "Yes, revoke");
    const no = h("button", { type: "button", class: "small" }, "Cancel");
    const box = h("div", { class: "revoke-confirm", role: "group", "aria-label": `Revoke key ${id}?` }, h("span", {}, "Requests with this key are refused from now on."), yes, no);
    item.append(box);
    yes.focus();
    no.addEventListener("click", () => box.remove());
    yes.addEventListener("click", async () => {
      await busy(yes, "Revoking…", async () => {
        try {
          const answer = await api.del(`/admin/tenants/${tenant}/keys/${id}`);
          if (answer?.status === "pending") {
            // 202: revoked in D1 and this isolate; the cache did not take the invalidation yet.
            show(
              "keys-result",
              "info",
              `Revoked key ${id} in the database and in this isolate, but Upstash did not take the invalidation of its cached validation: other isolates may accept the key until the outbox is drained (automatically, once Upstash answers).`,
            );
          } else {
            const bound = getStats()?.cache.l1MaxStalenessMs;
            show("keys-result", "ok", `Revoked key ${id}: refused at once here${bound ? `, and by other isolates within ${duration(bound)}` : ""}.`);
          }
          await list(tenant);
        } catch (error) {
          fail("keys-result", `Key ${id} not revoked`, error);
        }
      });
    });
  }
  async function list(tenant) {
    const { keys } = await api.get(`/admin/tenants/${tenant}/keys`);
    renderKeys(tenant, keys);
  }
  $("keys-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const tenant = keysTenant();
    if (!tenant) return;
    clear("keys-result");
    await busy($("keys-list"), "Listing…", async () => {
      try {
        await list(tenant);
      } catch (error) {
        $("keys-listing").hidden = true;
        fail("keys-result", "Could not list keys", error);
      }
    });
  });
  $("keys-create").addEventListener("click", async () => {
    const tenant = keysTenant();
    if (!tenant) return;
    clear("keys-result");
    await busy($("keys-create"), "Creating…", async () => {
      try {
        const created = await api.post(`/admin/tenants/${tenant}/keys`, {});
        $("new-key-tenant").textContent = `${created.tenant} (id ${created.id})`;
        $("new-key-value").value = created.key;
        $("new-key-copy").textContent = "Copy";
        $("new-key").hidden = false;
        $("new-key-value").focus();
        $("new-key-value").select();
        show("keys-result", "ok", `Created key ${created.id} for ${created.tenant}.`);
        await list(tenant).catch(() => {});
      } catch (error) {
        fail("keys-result", "No key created", error);
      }
    });
  });
  $("new-key-copy").addEventListener("click", async () => {
    const input = $("new-key-value");
    let copied = false;
    try {
      await navigator.clipboard.writeText(input.value);
      copied = true;
    } catch {
      input.select();
      copied = document.execCommand?.("copy") ?? false;
    }
    $("new-key-copy").textContent = copied ? "Copied" : "Select and copy";
    if (!copied) input.select();
  });
  $("new-key-done").addEventListener("click", () => {
    $("new-key-value").value = "";
    $("new-key").hidden = true;
    $("keys-create").focus();
  });

  let lastRateLimiting = null;
  return {
    /** Called after each poll: forms that depend on the worker's settings follow them. */
    update(stats) {
      if (!stats) return;
      const on = stats.settings.rateLimiting;
      if (on !== lastRateLimiting) {
        lastRateLimiting = on;
        for (const id of ["rl-limiter", "rl-identifier", "rl-lookup", "rl-reset"]) $(id).disabled = !on;
        if (!on) show("ratelimit-result", "info", "Rate limiting is off on this worker (it needs Upstash): nothing to look up.");
        else if ($("ratelimit-result").dataset.kind === "info") clear("ratelimit-result");
      }
      const prefix = stats.settings.keyPrefix;
      $("inv-keys").placeholder = `${prefix}:llm:policy:acme`;
    },
  };
}
