/* Building the dialog's nodes. el() is the one place where text becomes something a person
 * reads, so registry text (a tenant's input) always passes through visible() (../visible.js,
 * a classic script loaded, defer, before this module): hidden characters show as escapes. */

export const visible = window.mirrorVisible;

/* How long typing in a search or filter box waits before asking the server. */
export const DEBOUNCE_MS = 250;

/* Attributes a person reads (tooltips, labels for screen readers): shown via visible(). */
const READ_ATTRS = { title: true, "aria-label": true, placeholder: true };

let counter = 0;

/* A number no other picker element of the page has, for ids. */
export function nextId() {
  counter += 1;
  return counter;
}

export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (key) {
    const value = attrs[key];
    if (value === null || value === undefined || value === false) return;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = visible(value);
    else if (key === "hidden") node.hidden = true;
    else if (READ_ATTRS[key] && value !== true) node.setAttribute(key, visible(value));
    else node.setAttribute(key, value === true ? "" : String(value));
  });
  (children || []).forEach(function (child) {
    if (child === null || child === undefined || child === false) return;
    node.appendChild(typeof child === "string" ? document.createTextNode(visible(child)) : child);
  });
  return node;
}

/* A small coloured tag: Public, Private, Unhealthy, multi-arch... */
export function label(text, kind, title) {
  return el("span", { class: "mirror-picker__label mirror-picker__label--" + kind, title: title, text: text });
}

export function debounce(fn, ms) {
  let timer = null;
  return function () {
    const args = arguments;
    const self = this;
    clearTimeout(timer);
    timer = setTimeout(function () { fn.apply(self, args); }, ms);
  };
}
