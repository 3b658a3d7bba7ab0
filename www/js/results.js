// @ts-check
// What every operation form shares: its result line right under it (with
// the status and request id of a failure), a busy button while it runs, and
// reading lists and tenant ids out of its fields.

import { describeError } from "./api.js";
import { $, h } from "./dom.js";

/** What a tenant id is: 1–64 characters of A–Z, a–z, 0–9, _ and -. */
export const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Splits a textarea into items: one per line (or comma-separated), trimmed, no blanks, no repeats.
 * @param {string} text
 * @param {{ commas?: boolean }} [options]
 */
export function items(text, { commas = false } = {}) {
  const parts = text.split(commas ? /[\n,]/ : /\n/).map((s) => s.trim()).filter(Boolean);
  return [...new Set(parts)];
}

/**
 * Shows `message` in the result line `id`: kind ok | error | info. An error's status and request id go with it.
 * @param {string} id
 * @param {"ok" | "error" | "info"} kind
 * @param {string} message
 * @param {unknown} [error]
 */
export function show(id, kind, message, error = null) {
  const node = $(id);
  node.dataset.kind = kind;
  node.setAttribute("role", kind === "error" ? "alert" : "status");
  const parts = [h("span", { class: "result-text" }, message)];
  if (error) {
    const { status, requestId } = describeError(error);
    /** @type {import("./dom.js").Child[][]} */
    const meta = [];
    if (status) meta.push([`HTTP ${status}`]);
    if (requestId) meta.push(["request id ", h("code", { class: "request-id" }, requestId)]);
    if (meta.length) parts.push(h("span", { class: "result-meta" }, " (", meta.flatMap((m, i) => (i ? [", ", ...m] : m)), ")"));
  }
  node.replaceChildren(...parts);
}

/**
 * Empties the result line `id`.
 * @param {string} id
 */
export function clear(id) {
  const node = $(id);
  node.replaceChildren();
  delete node.dataset.kind;
}

/**
 * Shows a failure: "what: why (HTTP status, request id …)".
 * @param {string} id
 * @param {string} what
 * @param {unknown} error
 */
export function fail(id, what, error) {
  show(id, "error", `${what}: ${describeError(error).message}`, error);
}

/**
 * Runs `work` with `button` disabled (and saying `busyText`).
 * @template T
 * @param {HTMLButtonElement} button
 * @param {string} busyText
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function busy(button, busyText, work) {
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
