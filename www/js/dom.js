// @ts-check
// The DOM helpers every module of the dashboard shares: `$` finds an element
// by id (and checks its kind), `h` builds one (text is always text, never
// HTML), and the setters the overview's and the fleet's tiles fill in with.

/**
 * What `h` takes as children: nodes, text, nothing (skipped), or lists of them.
 * @typedef {Node | string | number | null | undefined | false | Child[]} Child
 */

/**
 * What `h` takes as attributes: `class`, `dataset` (an object), or any other
 * attribute (true: present and empty; null, undefined or false: absent).
 * @typedef {Record<string, string | number | boolean | null | undefined | Record<string, string>>} Attrs
 */

/**
 * The element with this id; with `kind` (HTMLInputElement, say), checked to be one.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {{ new (): T, prototype: T }} [kind]
 * @returns {T}
 */
export function $(id, kind) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  if (kind && !(node instanceof kind)) throw new Error(`#${id} is a ${node.tagName.toLowerCase()}, not a ${kind.name}`);
  return /** @type {T} */ (node);
}

/**
 * Creates an element: h("li", {class: "x"}, "text", child).
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = String(value);
    else if (key === "dataset" && typeof value === "object") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * Sets the text of every `[data-v=name]`.
 * @param {string} name
 * @param {string} text
 */
export function setText(name, text) {
  for (const node of document.querySelectorAll(`[data-v="${name}"]`)) node.textContent = text;
}

/**
 * Sets the state (ok, warn, bad, idle or none) of the tile `[data-tile=name]`, which colours it.
 * @param {string} name
 * @param {string | null} [state]
 */
export function setTile(name, state) {
  const tile = document.querySelector(`[data-tile="${name}"]`);
  if (tile instanceof HTMLElement) tile.dataset.state = state ?? "";
}

/**
 * Fills the bar `[data-bar=name]` to `ratio` (0 to 1).
 * @param {string} name
 * @param {number | null | undefined} ratio
 */
export function setBar(name, ratio) {
  const bar = document.querySelector(`[data-bar="${name}"]`);
  if (bar instanceof HTMLElement) bar.style.width = `${Math.max(0, Math.min(1, ratio || 0)) * 100}%`;
}
