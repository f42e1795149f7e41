/* The three sources of images, Public / Private / Workspace warehouses: their tabs, how many
 * spaces each holds for the namespace, and switching between them (which leaves a search). */
import { ngettext, _ } from "./i18n.js";

export const TABS = [
  { key: "public", label: _("Public"), long: _("Public") },
  { key: "private", label: _("Private"), long: _("Private") },
  { key: "workspace", label: _("Workspace warehouses"), long: _("Workspace warehouses") }
];

export const tabMethods = {
  count(tab) {
    return (this.ctx.registries || []).reduce(function (sum, r) {
      return sum + ((r.spaces && r.spaces[tab]) || 0);
    }, 0);
  },

  registriesOf(tab) {
    return (this.ctx.registries || []).filter(function (r) { return r.spaces && r.spaces[tab] > 0; });
  },

  updateTabs() {
    const self = this;
    TABS.forEach(function (tab) {
      const n = self.count(tab.key);
      const button = self.tabs[tab.key];
      button.querySelector(".mirror-picker__count").textContent = String(n);
      button.title = ngettext("%(num)s space", "%(num)s spaces", n);
    });
  },

  selectTab(key, focus) {
    if (!this.ctx) return;
    this.tab = key;
    const self = this;
    TABS.forEach(function (tab) {
      const on = tab.key === key;
      self.tabs[tab.key].setAttribute("aria-selected", on ? "true" : "false");
      self.tabs[tab.key].tabIndex = on ? 0 : -1;
    });
    this.panel.setAttribute("aria-labelledby", this.id + "-tab-" + key);
    if (focus) this.tabs[key].focus();
    if (this.search.value) {
      this.search.value = "";
      this.query = "";
    }
    this.view = "browse";
    this.render();
  }
};
