/* One Picker per <button data-mirror-picker>: its state (the namespace it was opened for, the
 * context answer, the tab, a stack of levels per tab, the search query) and opening it, which
 * needs a namespace in the host's form and an input to fill. Its other methods live in the
 * modules of each part of the dialog; they are gathered on Picker.prototype here, so each part
 * reaches the others' through `this`.
 *
 * The button's attributes (rendered by the image_picker macro of mirror_plugin/_picker.html):
 *   data-api              the picker API base, e.g. /mirror/api/picker
 *   data-target           id of the input the chosen reference is written into
 *   data-namespace-field  name of the form field holding the namespace, or a CSS selector */
import { apiMethods } from "./api.js";
import { browseMethods } from "./browse.js";
import { contextMethods } from "./context.js";
import { dialogMethods } from "./dialog.js";
import { nextId } from "./dom.js";
import { faqMethods } from "./faq.js";
import { _ } from "./i18n.js";
import { keyMethods } from "./keys.js";
import { listMethods } from "./lists.js";
import { registryMethods } from "./registry.js";
import { rowMethods } from "./rows.js";
import { searchMethods } from "./search.js";
import { tabMethods } from "./tabs.js";
import { tagMethods } from "./tags.js";

export function Picker(button) {
  this.button = button;
  this.id = "mirror-picker-" + nextId();
  this.api = (button.dataset.api || "").replace(/\/+$/, "");
  this.fieldSpec = button.dataset.namespaceField || "namespace";
  this.hint = document.getElementById(button.getAttribute("aria-describedby") || "");
  this.dialog = null;
  this.ctx = null;
  this.seq = 0;
  this.view = "browse"; // browse | search | faq
  this.tab = "public";
  this.stacks = {};
  this.query = "";
  button.addEventListener("click", this.open.bind(this));
  const self = this;
  document.addEventListener("change", function (event) {
    if (self.isNamespaceField(event.target)) self.namespaceChanged();
  });
}

const openMethods = {
  target() {
    return document.getElementById(this.button.dataset.target || "");
  },

  namespaceField() {
    const spec = this.fieldSpec;
    if (/^[#.[]/.test(spec)) return document.querySelector(spec);
    const input = this.target();
    const form = this.button.form || this.button.closest("form") || (input && input.form);
    const named = form && form.elements.namedItem(spec);
    if (named) return named;
    return document.getElementsByName(spec)[0] || document.getElementById(spec);
  },

  isNamespaceField(node) {
    const field = this.namespaceField();
    if (!field || !node) return false;
    if (field === node) return true;
    return typeof field.length === "number" && Array.prototype.indexOf.call(field, node) !== -1;
  },

  readNamespace() {
    const field = this.namespaceField();
    return field && typeof field.value === "string" ? field.value.trim() : "";
  },

  namespaceChanged() {
    if (this.hint) this.hint.textContent = "";
    // The next open fetches the new namespace's context; a stale one must never be shown.
    if (!this.dialog || !this.dialog.open) this.ctx = null;
  },

  open() {
    const namespace = this.readNamespace();
    if (!namespace) {
      if (this.hint) this.hint.textContent = _("Choose a namespace first.");
      const field = this.namespaceField();
      if (field && typeof field.focus === "function" && !field.disabled) field.focus();
      return;
    }
    if (!this.target()) {
      if (this.hint) this.hint.textContent = _("This picker has no image field to fill.");
      return;
    }
    if (this.hint) this.hint.textContent = "";
    this.build();
    if (!this.ctx || this.ctx.namespace !== namespace) this.reset(namespace);
    else if (this.view === "faq") this.showBrowse();
    if (!this.dialog.open) this.dialog.showModal();
    if (this.ctx && this.ctx.namespace === namespace) {
      this.render();
      this.search.focus();
    } else {
      this.loadContext(namespace);
    }
  },

  reset(namespace) {
    this.ctx = null;
    this.namespace = namespace;
    this.stacks = {};
    this.query = "";
    this.search.value = "";
    this.tab = "public";
    this.showBrowse();
  }
};

Object.assign(
  Picker.prototype, openMethods, dialogMethods, apiMethods, contextMethods, tabMethods,
  keyMethods, browseMethods, registryMethods, listMethods, rowMethods, tagMethods,
  searchMethods, faqMethods
);
