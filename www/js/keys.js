// @ts-check
// A tenant's API keys: listed (GET /admin/tenants/{t}/keys), created (POST;
// the new key shown once, with a copy button) and revoked after a
// confirmation (DELETE …/keys/{id}).

import { $, h } from "./dom.js";
import { dateTime, duration, plural } from "./format.js";
import { TENANT_ID, busy, clear, fail, show } from "./results.js";

/** @typedef {import("./types.js").IsolateStats} IsolateStats */
/** @typedef {{ get(path: string): Promise<any>, post(path: string, body?: object): Promise<any>, del(path: string, body?: object): Promise<any> }} Api */

/**
 * @param {object} options
 * @param {Api} options.api the admin API
 * @param {() => IsolateStats | null} options.getStats the last stats (how soon other isolates refuse a revoked key)
 */
export function setupKeys({ api, getStats }) {
  const tenantField = $("keys-tenant", HTMLInputElement);
  const create = $("keys-create", HTMLButtonElement);
  const newKey = $("new-key-value", HTMLInputElement);
  const copy = $("new-key-copy", HTMLButtonElement);

  /** The tenant id typed, or null (and says why) when it is not one. */
  function tenant() {
    const id = tenantField.value.trim();
    if (!TENANT_ID.test(id)) {
      show("keys-result", "error", "A tenant id is 1–64 characters of A–Z, a–z, 0–9, _ and -.");
      tenantField.focus();
      return null;
    }
    return id;
  }

  /**
   * Lists the tenant's keys, newest first, each with its revoke button.
   * @param {string} tenantId
   */
  async function list(tenantId) {
    /** @type {{ keys: { id: string, createdAtMs: number }[] }} */
    const { keys } = await api.get(`/admin/tenants/${tenantId}/keys`);
    $("keys-listing").hidden = false;
    $("keys-caption").textContent = keys.length ? `${plural(keys.length, "key")} of ${tenantId}, newest first` : `${tenantId} has no API keys.`;
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
        revoke.addEventListener("click", () => confirmRevoke(item, tenantId, id));
        return item;
      }),
    );
  }

  /**
   * Asks under the key's row; revokes on "Yes".
   * @param {HTMLElement} item
   * @param {string} tenantId
   * @param {string} id
   */
  function confirmRevoke(item, tenantId, id) {
    if (item.querySelector(".revoke-confirm")) return;
    const yes = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "small danger", "aria-label": `Confirm: revoke key ${id}` }, "Yes, revoke"));
    const no = h("button", { type: "button", class: "small" }, "Cancel");
    const box = h("div", { class: "revoke-confirm", role: "group", "aria-label": `Revoke key ${id}?` }, h("span", {}, "Requests with this key are refused from now on."), yes, no);
    item.append(box);
    yes.focus();
    no.addEventListener("click", () => box.remove());
    yes.addEventListener("click", () =>
      busy(yes, "Revoking…", async () => {
        try {
          const answer = await api.del(`/admin/tenants/${tenantId}/keys/${id}`);
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
          await list(tenantId);
        } catch (error) {
          fail("keys-result", `Key ${id} not revoked`, error);
        }
      }),
    );
  }

  $("keys-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const tenantId = tenant();
    if (!tenantId) return;
    clear("keys-result");
    await busy($("keys-list", HTMLButtonElement), "Listing…", async () => {
      try {
        await list(tenantId);
      } catch (error) {
        $("keys-listing").hidden = true;
        fail("keys-result", "Could not list keys", error);
      }
    });
  });
  create.addEventListener("click", async () => {
    const tenantId = tenant();
    if (!tenantId) return;
    clear("keys-result");
    await busy(create, "Creating…", async () => {
      try {
        const created = await api.post(`/admin/tenants/${tenantId}/keys`, {});
        $("new-key-tenant").textContent = `${created.tenant} (id ${created.id})`;
        newKey.value = created.key;
        copy.textContent = "Copy";
        $("new-key").hidden = false;
        newKey.focus();
        newKey.select();
        show("keys-result", "ok", `Created key ${created.id} for ${created.tenant}.`);
        await list(tenantId).catch(() => {});
      } catch (error) {
        fail("keys-result", "No key created", error);
      }
    });
  });
  copy.addEventListener("click", async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(newKey.value);
      copied = true;
    } catch {
      newKey.select();
      copied = document.execCommand?.("copy") ?? false;
    }
    copy.textContent = copied ? "Copied" : "Select and copy";
    if (!copied) newKey.select();
  });
  $("new-key-done").addEventListener("click", () => {
    newKey.value = "";
    $("new-key").hidden = true;
    create.focus();
  });
}
